import Foundation
import Testing
import Multiformats

/// Ground truth made by Kubo: /work/shared/vectors/unixfs/vectors.json (hello.txt = "Hello, IPFS!").
enum KuboVectors {
    static let helloBytes = Array("Hello, IPFS!".utf8)
    static let helloSHA256 = "fcd8714ae8be42e5d53e49d42d90d8c31e9f0ccbc06d99b69cb13ac068248a9b"
    static let helloRawCID = "bafkreih43byuv2f6ils5kpsj2qwzbwgdd2pqzs6anwm3nhfrhlagqjektm"  // block put
    static let helloV0 = "QmZaEQdUN9aj2UXzac2QHgDq5k2PHm6kMi17zJpRwwgKnm"
    static let helloV1DagPB = "bafybeifg5m232m4agrs2ca2tavt3tpcbxt35n2inkwydrlsfzeeuuhwkty"
    static let emptyRaw = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

@Test func sha256MultihashMatchesKuboDigest() {
    let mh = Multihash.sha256(KuboVectors.helloBytes)
    #expect(mh.code == 0x12)
    #expect(hex(mh.digest) == KuboVectors.helloSHA256)
    #expect(Array(mh.bytes.prefix(2)) == [0x12, 0x20])
    #expect(hex(Multihash.sha256([UInt8]()).digest) == KuboVectors.emptySHA256)
}

@Test func rawCIDOfBytesMatchesKuboBlockPut() throws {
    let cid = CID.hashing(KuboVectors.helloBytes, codec: .raw, version: .v1)
    #expect(cid.description == KuboVectors.helloRawCID)
    #expect(CID.hashing([], codec: .raw, version: .v1).description == KuboVectors.emptyRaw)
    let parsed = try CID(KuboVectors.helloRawCID)
    #expect(parsed == cid && parsed.codec == .raw && parsed.version == .v1)
    #expect(try CID(bytes: cid.bytes) == cid)
}

@Test func cidV0ParsesAndConvertsToV1LikeKubo() throws {
    let v0 = try CID(KuboVectors.helloV0)
    #expect(v0.version == .v0 && v0.codec == .dagPB && v0.bytes.count == 34)
    #expect(v0.description == KuboVectors.helloV0)
    // hello.txt's v0 and v1-without-raw-leaves are the same dag-pb block.
    #expect(v0.toV1().description == KuboVectors.helloV1DagPB)
    #expect(try CID(KuboVectors.helloV1DagPB).multihash == v0.multihash)
}

@Test func cidV1ParsesInEveryMultibase() throws {
    let cid = try CID(KuboVectors.helloV1DagPB)
    for base in [Multibase.base58btc, .base36, .base64url, .base32Upper, .base36Upper] {
        let text = cid.string(base: base)
        #expect(text.first == base.rawValue)
        #expect(try CID(text) == cid)
    }
}

@Test func cidIsCodableAsItsString() throws {
    let cid = try CID(KuboVectors.helloV0)
    let json = try JSONEncoder().encode([cid])
    #expect(String(decoding: json, as: UTF8.self) == "[\"\(KuboVectors.helloV0)\"]")
    #expect(try JSONDecoder().decode([CID].self, from: json) == [cid])
}

@Test func malformedCIDsAreTypedErrors() throws {
    #expect(throws: MultiformatsError.emptyInput) { try CID("") }
    #expect(throws: MultiformatsError.self) { try CID("/ipfs/" + KuboVectors.helloV0) }
    #expect(throws: MultiformatsError.unknownMultibasePrefix("x")) { try CID("xyz") }
    #expect(throws: MultiformatsError.self) { try CID(String(KuboVectors.helloV1DagPB.dropLast(3))) }
    #expect(throws: MultiformatsError.self) { try CID("Qm" + String(repeating: "0", count: 44)) }
    #expect(throws: MultiformatsError.unsupportedCIDVersion(2)) { try CID(bytes: [0x02, 0x55, 0x12, 0x20] + [UInt8](repeating: 1, count: 32)) }
    #expect(throws: MultiformatsError.trailingBytes(1)) { try CID(bytes: CID(KuboVectors.helloRawCID).bytes + [0]) }
    #expect(throws: MultiformatsError.invalidDigestLength(code: 0x12, length: 3)) { try CID(bytes: [0x01, 0x55, 0x12, 0x03, 1, 2, 3]) }
    // Messages name the problem.
    do { _ = try CID("xyz") } catch { #expect("\(error)".contains("unknown multibase prefix 'x'")) }
}
