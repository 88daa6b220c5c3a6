import Dispatch
import NIOCore
import NIOPosix
import UnixFS
import Primitives

/// Stores one file's bytes while the caller goes on with them (sending them to a client): the two
/// whole-file digests (sha256, git sha1) run on one serial queue and the UnixFS import (leaf hashes,
/// block writes) on another, so each byte is hashed once per digest, on other cores than the one
/// sending, and the sender waits only when more than `window` bytes are queued.
final class PipelinedContentWriter: @unchecked Sendable {
    /// Bytes queued ahead of the slower stage before `append` waits: bounds memory per transfer.
    static let window = 32 << 20

    private let store: ContentStore
    private let expectedSize: Int64?
    private let digestQueue = DispatchQueue(label: "ipfs-accelerate.pipeline.digest")
    private let importQueue = DispatchQueue(label: "ipfs-accelerate.pipeline.import")
    // Touched only on their own queues.
    private var hasher: ContentHasher
    private let builder: FileBuilder

    private struct Shared {
        var queued = 0
        var failure: (any Error)?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let shared = Locked(Shared())

    /// What the git tree holds for the file, and so which sha1 `finish` reports as `gitSHA1`.
    enum TreeBlob {
        /// The content itself: its blob sha1 is computed alongside the sha256.
        case content
        /// A git-lfs pointer: its sha1 follows from the sha256 and size, so the content is not sha1-hashed.
        case lfsPointer
    }

    private let treeBlob: TreeBlob

    init(store: ContentStore, expectedSize: Int64?, treeBlob: TreeBlob = .content) {
        self.store = store
        self.expectedSize = expectedSize
        self.treeBlob = treeBlob
        self.hasher = ContentHasher(expectedSize: treeBlob == .content ? expectedSize : nil)
        self.builder = FileBuilder(options: ContentStore.options, store: store.blocks)
    }

    /// Queues `chunk` for both stages; waits while the queues hold more than `window` bytes.
    /// Throws the first error a stage met (the store is then abandoned, as by `abort`).
    func append(_ chunk: ByteBuffer) async throws {
        let n = chunk.readableBytes
        let full = shared.withLock { s -> Bool in
            s.queued += 2 * n
            return s.queued > 2 * Self.window
        }
        digestQueue.async {
            chunk.withUnsafeReadableBytes { self.hasher.update($0) }
            self.done(n)
        }
        importQueue.async {
            if self.shared.withLock({ $0.failure }) == nil {
                do {
                    try chunk.withUnsafeReadableBytes { try self.builder.append($0.assumingMemoryBound(to: UInt8.self)) }
                } catch {
                    self.shared.withLock { if $0.failure == nil { $0.failure = error } }
                }
            }
            self.done(n)
        }
        if full {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = shared.withLock { s -> Bool in
                    if s.queued <= 2 * Self.window { return true }
                    s.waiters.append(c)
                    return false
                }
                if ready { c.resume() }
            }
        }
        if let failure = shared.withLock({ $0.failure }) { throw failure }
    }

    private func done(_ n: Int) {
        let wake = shared.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.queued -= n
            guard s.queued <= 2 * Self.window else { return [] }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in wake { w.resume() }
    }

    /// Waits for both stages and completes the DAG; with `durable`, also makes its blocks durable
    /// (without, the caller syncs the store itself before anything refers to the content).
    func finish(durable: Bool = true) async throws -> StoredContent {
        // On each stage's own queue: after everything `append` queued there, and touching its state.
        let (sha256, sha1, count): (String, String?, Int64) = try await runBlocking(on: digestQueue) {
            let (sha256, sha1) = self.hasher.finalize()
            return (sha256, sha1, self.hasher.count)
        }
        let root: String = try await runBlocking(on: importQueue) {
            if let failure = self.shared.withLock({ $0.failure }) { throw failure }
            let root = try self.builder.finish()
            if durable { try self.store.blocks.sync() }
            return root.cid.description
        }
        let git: String
        if treeBlob == .lfsPointer {
            git = GitObjectHasher.blobHex(lfsPointer(sha256: sha256, size: count))
        } else if let sha1, expectedSize == count {
            git = sha1
        } else {
            git = try await runBlocking { [store] in try store.gitSHA1(cid: root, size: count) }
        }
        return StoredContent(cid: root, size: count, sha256: sha256, gitSHA1: git)
    }

    /// Drops a partial transfer: queued work finishes, its blocks stay unreferenced (no repo or pin reaches them).
    func abort() {
        shared.withLock { if $0.failure == nil { $0.failure = CancellationError() } }
    }
}

/// Gathers a body's chunks into batches of about `size` bytes, so that what is paid per hand-off to
/// another thread (a hop, a lock) is paid per batch. A chunk already that large passes as it is.
struct ChunkBatches {
    let size: Int
    private var pending = ByteBuffer()

    init(size: Int = 1 << 20) { self.size = size }

    /// A full batch once `chunk` completes one; nil while still gathering.
    mutating func add(_ chunk: ByteBuffer) -> ByteBuffer? {
        if pending.readableBytes == 0 && chunk.readableBytes >= size { return chunk }
        if pending.capacity < size { pending.reserveCapacity(size + 65536) }
        var chunk = chunk
        pending.writeBuffer(&chunk)
        guard pending.readableBytes >= size else { return nil }
        return take()
    }

    /// What is left once the body has ended; nil when nothing is.
    mutating func rest() -> ByteBuffer? {
        pending.readableBytes > 0 ? take() : nil
    }

    private mutating func take() -> ByteBuffer {
        let batch = pending
        pending = ByteBuffer()
        return batch
    }
}
