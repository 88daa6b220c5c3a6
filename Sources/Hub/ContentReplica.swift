import BlockStore
import Foundation
import IPFSRouter
import Multiformats
import NIOPosix
import UnixFS
import Primitives

/// Keeps the hub's content on an IPFS backend as well as in the local store (`HUB_STORE_BACKEND`):
/// a Kubo node, or an IPFS Cluster whose pins replicate it. The local flatfs store stays the working
/// copy that downloads stream from; the backend is where content outlives this machine.
///
/// - Every file a commit adds is copied (its DAG, as the importer made it: same CIDs) and pinned on
///   the backend before the commit lands, so a commit never points at content only one disk holds.
/// - A download whose root block is not in the local store (uploaded through another hub process on
///   another machine, or dropped from this cache) first brings the DAG from the backend, verifying
///   every block against its CID.
public final class ContentReplica: Sendable {
    public let backend: any IPFSBackend
    /// CAR bytes per `dag/import` call: large sequential requests, bounded memory.
    static let batchBytes = 32 << 20
    private let copied = Locked(Set<String>())

    public init(backend: any IPFSBackend) { self.backend = backend }

    /// Copies the DAG under `cid` to the backend and pins it there (once per process and root).
    func replicate(_ cid: String, from content: ContentStore) async throws {
        if copied.withLock({ $0.contains(cid) }) { return }
        let batches = DAGBatches(store: content.blocks, root: try content.parse(cid))
        while let car = try await runBlocking({ try batches.next(limit: Self.batchBytes) }) {
            _ = try await backend.dagImport(car, pinRoots: false)
        }
        try await backend.pin(cid)
        copied.withLock { set in
            if set.count > 100_000 { set.removeAll() }
            set.insert(cid)
        }
    }

    /// Brings the DAG under `cid` into the local store when its root block is not there.
    func fetchIfMissing(_ cid: String, into content: ContentStore) async throws {
        guard !content.contains(cid: cid) else { return }
        let root = try content.parse(cid)
        let file = content.tmp.appendingPathComponent("replica-\(UUID().uuidString).car")
        defer { try? FileManager.default.removeItem(at: file) }
        // Spooled to disk: a DAG can be far larger than memory, and the CAR reader wants a byte source.
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
              let out = try? FileHandle(forWritingTo: file) else {
            throw ContentStoreError.io("cannot create \(file.path)")
        }
        do {
            for try await chunk in try await backend.dagExport(cid) { try await runBlocking { try out.write(contentsOf: chunk) } }
            try out.close()
        } catch {
            try? out.close()
            throw error
        }
        let blocks = content.blocks
        try await runBlocking {
            let input = try FileHandle(forReadingFrom: file)
            defer { try? input.close() }
            // The reader checks every block against its CID; a short or foreign CAR fails here.
            _ = try importCAR(CARReader(fileHandle: input), into: blocks)
            try DagLinks.requireComplete(root, in: blocks)
        }
    }
}

/// The DAG under a root as consecutive CAR v1 files of about `limit` bytes, each with the root in its
/// header, blocks in `dag export` order. Used from one task at a time.
final class DAGBatches: @unchecked Sendable {
    private let root: CID
    private var blocks: CARWriter.Blocks

    init(store: any BlockStoring, root: CID) {
        self.root = root
        self.blocks = CARWriter.Blocks(store: store, root: root)
    }

    func next(limit: Int) throws -> Data? {
        guard !blocks.isEmpty else { return nil }
        var car = CARWriter.header(roots: [root])
        while car.count < limit, let (cid, block) = try blocks.next() {
            car += CARWriter.section(cid: cid, data: block)
        }
        return Data(car)
    }
}
