import Foundation
import Testing
import Primitives

// MARK: percent-encoding (RFC 3986 section 2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~")

@Test func everyASCIIByteOutsideTheUnreservedSetIsEncoded() {
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    for b in UInt8(0)...UInt8(127) {
        let s = String(decoding: [b], as: UTF8.self)
        let expected = unreserved.contains(b) ? s : String(format: "%%%02X", b)
        #expect(PercentEncoding.encode(s) == expected, "byte \(b)")
    }
}

@Test func nonASCIIIsEncodedAsItsUTF8Bytes() {
    // Foundation's `.alphanumerics` would leave these as they are, which no header or URL may carry.
    #expect(PercentEncoding.encode("é") == "%C3%A9")
    #expect(PercentEncoding.encode("模型") == "%E6%A8%A1%E5%9E%8B")
}

@Test func segmentsKeepSlashesInside() {
    #expect(PercentEncoding.encode("refs/pr/1") == "refs%2Fpr%2F1")
    #expect(PercentEncoding.encodePath("a b/c+d/") == "a%20b/c%2Bd/")
    #expect(PercentEncoding.encode("a b", extraAllowed: " ") == "a b")
}

@Test func queryEncodesValuesOnly() {
    #expect(PercentEncoding.query([]) == "")
    #expect(PercentEncoding.query([("arg", "/ipfs/Qm x"), ("pin", "true")]) == "?arg=%2Fipfs%2FQm%20x&pin=true")
}

@Test func encodingRoundTripsThroughFoundation() {
    for s in ["", "plain", "a/b?c=d&e#f", "100% ~sure~", "ünï cødé", "\u{0}\u{7f}"] {
        #expect(PercentEncoding.encode(s).removingPercentEncoding == s)
    }
}

// MARK: hex

@Test func hexIsLowerCaseTwoDigitsAByte() {
    #expect(Hex.encode([UInt8]()) == "")
    #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
    #expect(Hex.asciiDigits([0xab]) == Array("ab".utf8))
    let all = (0...255).map { UInt8($0) }
    #expect(Hex.encode(all) == all.map { String(format: "%02x", $0) }.joined())
}

@Test func isLowercaseHexChecksLengthAndAlphabet() {
    #expect(Hex.isLowercase("00ff", count: 4))
    #expect(!Hex.isLowercase("00FF", count: 4))
    #expect(!Hex.isLowercase("00ff", count: 40))
    #expect(!Hex.isLowercase("00fg", count: 4))
}

// MARK: git object names, checked against git itself

private func gitHashObject(_ bytes: [UInt8]) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("blob-\(UUID().uuidString)")
    try Data(bytes).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git", "hash-object", "--no-filters", file.path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Test(arguments: ["", "Hello, IPFS!", "line\nwith\0nul\n", String(repeating: "x", count: 100_000)])
func gitBlobNameMatchesGitHashObject(_ text: String) throws {
    let bytes = Array(text.utf8)
    let git = try gitHashObject(bytes)
    #expect(git.count == 40)
    #expect(GitObjectHasher.blobHex(bytes) == git)
    // Streamed in pieces, as uploads arrive.
    var h = GitObjectHasher.blob(size: bytes.count)
    for chunk in stride(from: 0, to: bytes.count, by: 4096) { h.update(bytes[chunk..<min(chunk + 4096, bytes.count)]) }
    #expect(h.finalizeHex() == git)
    #expect(Hex.encode(h.finalize()) == git)
}
