import BlockStore
import Foundation
import Multiformats
import Primitives
import UnixFS

/// Model folders stored by content in the data directory's block store (the same store the
/// CLI and the hub use), pinned so garbage collection keeps them, and written back out by CID.
public struct IPFSModelStorage: Sendable {
    public let dataDir: URL
    let metrics: ServerMetrics?

    public init(dataDir: URL, metrics: ServerMetrics? = nil) {
        self.dataDir = dataDir
        self.metrics = metrics
    }

    /// Imports `folder` (or file) and pins it; returns the root CID.
    public func store(_ folder: URL) async throws -> String {
        try await measured("add_path") {
            let dir = DataDirectory(root: dataDir)
            try dir.create()
            let store = try dir.openBlockStore()
            let entries = try Importer(store: store).addPath(folder, recursive: true)
            guard let root = entries.last else { throw ModelServerError.loadFailed("nothing to store at \(folder.path)") }
            try dir.openPinStore().pin(root.cid, recursive: true)
            return root.cid.description
        }
    }

    /// Writes the tree at `cid` to `destination` (which must not exist).
    public func fetch(_ cid: String, to destination: URL) async throws {
        try await measured("get_to_path") {
            let parsed: CID
            do { parsed = try CID(cid) } catch { throw ModelServerError.modelNotFound("'\(cid)' is not a CID: \(error)") }
            let store = try DataDirectory(root: dataDir).openBlockStore()
            guard try store.has(parsed) else { throw ModelServerError.modelNotFound("\(cid) is not in the local block store") }
            try Exporter(store: store).get(parsed, to: destination)
        }
    }

    /// Runs blocking file work off the async executor, counting it in the hf_server_ipfs_* metrics.
    private func measured<T: Sendable>(_ operation: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let started = systemMonotonicClock()
        let result: Result<T, any Error>
        do { result = .success(try await runBlocking(work)) } catch { result = .failure(error) }
        let labels = ["operation": operation, "backend": "local"]
        metrics?.count("hf_server_ipfs_operations_total", labels.merging(["status": (try? result.get()) == nil ? "error" : "success"]) { a, _ in a })
        metrics?.seconds("hf_server_ipfs_operation_duration_seconds", labels, systemMonotonicClock() - started)
        return try result.get()
    }
}
