import BlockStore
import Foundation
import Hummingbird
import IPFSRouter
import KuboRPC
import Logging

/// Ground truth from Kubo: shared/vectors/unixfs/vectors.json, found beside the repository.
enum Vectors {
    static let file: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 {
            let cand = dir.appendingPathComponent("shared/vectors/unixfs/vectors.json")
            if FileManager.default.fileExists(atPath: cand.path) { return cand }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/work/shared/vectors/unixfs/vectors.json")
    }()

    nonisolated(unsafe) static let json: [String: Any] = {
        (try? JSONSerialization.jsonObject(with: Data(contentsOf: file))) as? [String: Any] ?? [:]
    }()

    static func file(_ name: String, _ key: String) -> String {
        ((json["files"] as? [String: Any])?[name] as? [String: Any])?[key] as? String ?? "missing-\(name)-\(key)"
    }
    static func dir(_ key: String) -> String {
        ((json["dirs"] as? [String: Any])?["dir"] as? [String: Any])?[key] as? String ?? "missing-dir-\(key)"
    }

    /// The inputs generate_inputs.py describes (the small ones), written into a fresh folder.
    static func inputs() throws -> URL {
        let root = try tempDir("inputs")
        func write(_ name: String, _ bytes: [UInt8]) throws {
            let u = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: u)
        }
        try write("empty.bin", [])
        try write("hello.txt", Array("Hello, IPFS!".utf8))
        try write("a262145.bin", [UInt8](repeating: UInt8(ascii: "a"), count: 262_145))
        try write("mod251_1MiB.bin", (0..<(1 << 20)).map { UInt8($0 % 251) })
        try write("dir/a.txt", Array("A".utf8))
        try write("dir/sub/b.txt", Array("B".utf8))
        try write("dir/empty.txt", [])
        return root
    }
}

/// Every temp dir of this test process lives in one folder, removed when the process exits:
/// model-store tests copy a 90 MB model each, and runs used to pile up in /tmp until the disk filled.
private nonisolated(unsafe) var tempRootPath = ""
private let tempRoot: URL = {
    let u = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ipfs-router-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    tempRootPath = u.path
    atexit { if !tempRootPath.isEmpty { try? FileManager.default.removeItem(atPath: tempRootPath) } }
    return u
}()

func tempDir(_ tag: String) throws -> URL {
    let u = tempRoot.appendingPathComponent("\(tag)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

func localBackend(_ tag: String = "store") throws -> LocalBackend {
    try LocalBackend(dataDirectory: DataDirectory(root: try tempDir(tag)))
}

/// Every file under `root`, relative path -> bytes.
func tree(_ root: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: root, isDirectory: &isDir) else { return [:] }
    if !isDir.boolValue { return ["": try Data(contentsOf: URL(fileURLWithPath: root))] }
    for case let rel as String in fm.enumerator(atPath: root)! {
        let p = (root as NSString).appendingPathComponent(rel)
        fm.fileExists(atPath: p, isDirectory: &isDir)
        out[rel] = isDir.boolValue ? Data("<dir>".utf8) : try Data(contentsOf: URL(fileURLWithPath: p))
    }
    return out
}

/// Our Kubo RPC server, in this process, on a loopback port (a real HTTP server, not a mock).
final class InProcessRPCServer: @unchecked Sendable {
    let backend: LocalBackend
    private(set) var port = 0
    private var task: Task<Void, any Error>?

    init(backend: LocalBackend) { self.backend = backend }

    var url: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        let router = Router()
        KuboRPCRoutes(backend: backend, tempDirectory: backend.dataDirectory.tmp.path).addRoutes(to: router)
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test.rpc")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { ch in ready.continuation.yield(ch.localAddress?.port ?? 0); ready.continuation.finish() },
                              logger: logger)
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for await p in ready.stream { port = p }
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
    }
}
