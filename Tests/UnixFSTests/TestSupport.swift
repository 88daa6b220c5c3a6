import Foundation
import BlockStore
import Multiformats
import UnixFS

/// Paths and helpers shared by the UnixFS tests.
enum Fixtures {
    /// The repository root (tests run from a source checkout).
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let vectorsDir = repoRoot.appendingPathComponent("Tests/UnixFSTests/Vectors")

    /// vectors.json, parsed.
    nonisolated(unsafe) static let vectors: [String: Any] = {
        let data = try! Data(contentsOf: vectorsDir.appendingPathComponent("vectors.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    /// The inputs generate_inputs.py writes, generated once per test process.
    static let inputs: URL = {
        let dir = temporaryDirectory("unixfs-inputs")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", vectorsDir.appendingPathComponent("generate_inputs.py").path, dir.path]
        try! p.run()
        p.waitUntilExit()
        precondition(p.terminationStatus == 0, "generate_inputs.py failed")
        return dir
    }()

    static func temporaryDirectory(_ prefix: String) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Options as Kubo's flags set them.
func kuboOptions(cidVersion: Int, rawLeaves: Bool? = nil, wrap: Bool = false) -> ImportOptions {
    var o = ImportOptions.unixfsV0_2015
    o.cidVersion = cidVersion == 1 ? .v1 : .v0
    o.rawLeaves = rawLeaves ?? (cidVersion == 1)
    o.wrapWithDirectory = wrap
    return o
}

/// A real store that counts reads (to check that range reads fetch few blocks).
final class CountingStore: BlockStoring, @unchecked Sendable {
    let inner: any BlockStoring
    private let lock = NSLock()
    private var _gets = 0
    init(_ inner: any BlockStoring) { self.inner = inner }
    var gets: Int { lock.withLock { _gets } }
    func reset() { lock.withLock { _gets = 0 } }
    func put(_ data: [UInt8], cid: CID) throws { try inner.put(data, cid: cid) }
    func get(_ cid: CID) throws -> [UInt8] { lock.withLock { _gets += 1 }; return try inner.get(cid) }
    func has(_ cid: CID) throws -> Bool { try inner.has(cid) }
    func delete(_ cid: CID) throws { try inner.delete(cid) }
    func allKeys() throws -> [CID] { try inner.allKeys() }
    func sync() throws { try inner.sync() }
}

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

func randomBytes(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: n)
    var i = 0
    while i < n {
        var v = rng.next()
        for _ in 0..<8 where i < n { out[i] = UInt8(truncatingIfNeeded: v); v >>= 8; i += 1 }
    }
    return out
}
