import Testing
import Multiformats

/// Deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Test func cidParserNeverCrashesOnRandomOrTruncatedInput() throws {
    var rng = SplitMix64(state: 42)
    let valid = [KuboVectors.helloV0, KuboVectors.helloV1DagPB, KuboVectors.helloRawCID]
    let validBytes = try valid.map { try CID($0).bytes }
    let alphabet = Array("QmbBzkKuafy0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_/=é")
    var accepted = 0
    for i in 0..<12_000 {
        // Text: truncations and mutations of real CIDs, and random strings.
        var text = Array(valid[i % valid.count])
        switch i % 4 {
        case 0: text = Array(text.prefix(Int.random(in: 0...text.count, using: &rng)))
        case 1: text[Int.random(in: 0..<text.count, using: &rng)] = alphabet.randomElement(using: &rng)!
        case 2: text = (0..<Int.random(in: 0...60, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
        default: text.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...text.count, using: &rng))
        }
        if let cid = try? CID(String(text)) {
            accepted += 1
            #expect(try CID(cid.description) == cid)  // anything accepted round-trips
        }
        // Bytes: truncations, bit flips and random bytes.
        var bytes = validBytes[i % validBytes.count]
        switch i % 3 {
        case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
        case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        default: bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        if let cid = try? CID(bytes: bytes) { #expect(try CID(bytes: cid.bytes) == cid) }
    }
    #expect(accepted > 0 && accepted < 12_000)
}
