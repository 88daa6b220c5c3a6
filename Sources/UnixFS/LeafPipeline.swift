import Dispatch
import Multiformats
import BlockStore

/// Hashes and stores a file's leaves on all cores while its owner keeps filling the next ones,
/// and hands the finished leaves back in file order.
///
/// Leaves are filled straight into a fixed ring of reusable buffers (no per-chunk arrays, no
/// copy into a block: each chunk sits between reserved room for the dag-pb leaf's header and
/// trailer, which are written around it in place). A slot of the ring holds a group of chunks
/// (one chunk of 256 KiB or more, many small ones) and is one unit of background work; the
/// owner reuses a slot only after taking back its results, oldest first, so the DAG is built in
/// the same order whatever the scheduling, and memory stays at the ring's few MiB.
///
/// Only the owning thread calls the methods; a worker touches only its own slot's buffer,
/// lengths and results, and the owner reads them only after that slot's semaphore is signalled.
final class LeafPipeline: @unchecked Sendable {
    /// Room after a chunk for `18 <len>`.
    private static let tailRoom = 16
    /// Chunks at least this big start their block on a page boundary when the store prefers it
    /// (direct I/O, see `FlatFSBlockStore`); smaller ones are not worth it.
    private static let pageAlignFrom = 64 << 10
    private static let page = 4096
    /// Bytes of chunk data the whole ring aims to hold.
    private static let ringBytes = 8 << 20

    private let chunkSize: Int
    private let raw: Bool
    private let version: CID.Version
    private let store: any BlockStoring
    private let stride: Int
    /// Offset of a chunk's data in its stride: a full chunk's leaf header ends exactly there.
    private let headRoom: Int
    private let chunksPerSlot: Int
    private let slotCount: Int

    private let memory: UnsafeMutableRawPointer
    /// Per chunk: its data length (written by the owner before the slot is submitted).
    private let lengths: UnsafeMutablePointer<Int>
    /// Per chunk: its leaf (written by the worker).
    private let results: UnsafeMutablePointer<ImportedNode?>
    /// Per slot: chunks in it, its first error, and the signal that its work is done.
    private let slotChunks: UnsafeMutablePointer<Int>
    private let slotErrors: UnsafeMutablePointer<(any Error)?>
    private let done: [DispatchSemaphore]
    /// Serial queues taking slots in turn. Serial queues get a thread each whenever they have
    /// work (unlike the global pool, sized to the cores), so a worker waiting on the disk does
    /// not keep another from hashing: more workers than cores, for the store's blocking writes.
    private let workers: [DispatchQueue]
    private static let workerCount = 4

    // Owner-only state: groups submitted and taken back, and the chunk being filled.
    private var submitted = 0
    private var reclaimed = 0
    private var open = false
    private var chunkInSlot = 0
    private var filled = 0
    /// Leaves submitted so far (all chunks closed, including ones still in the background).
    private(set) var leavesSubmitted = 0

    init(chunkSize: Int, raw: Bool, version: CID.Version, store: any BlockStoring) {
        self.chunkSize = chunkSize
        self.raw = raw
        self.version = version
        self.store = store
        // Either a full chunk's block starts on a page (for a store writing with direct I/O), or
        // the chunk data itself starts on 64 bytes: the kernel copies file reads into a buffer
        // much faster when source and destination are equally aligned. A shorter (last) chunk
        // has a header no longer than a full one's, so it always fits in front.
        let head = raw ? 0 : Self.leafHeadLength(chunkSize)
        let pageAligned = chunkSize >= Self.pageAlignFrom && store.prefersPageAlignedBlocks
        headRoom = pageAligned ? head : (head + 63) / 64 * 64
        let span = headRoom + chunkSize + Self.tailRoom
        stride = pageAligned ? (span + Self.page - 1) / Self.page * Self.page : (span + 63) / 64 * 64
        // Small chunks are grouped so each background job amortises its scheduling over ~256 KiB.
        chunksPerSlot = max(1, min(1024, (256 << 10) / chunkSize))
        slotCount = max(4, min(32, Self.ringBytes / (chunksPerSlot * chunkSize)))
        memory = .allocate(byteCount: slotCount * chunksPerSlot * stride, alignment: Self.page)
        let chunks = slotCount * chunksPerSlot
        lengths = .allocate(capacity: chunks)
        lengths.initialize(repeating: 0, count: chunks)
        results = .allocate(capacity: chunks)
        results.initialize(repeating: nil, count: chunks)
        slotChunks = .allocate(capacity: slotCount)
        slotChunks.initialize(repeating: 0, count: slotCount)
        slotErrors = .allocate(capacity: slotCount)
        slotErrors.initialize(repeating: nil, count: slotCount)
        done = (0..<slotCount).map { _ in DispatchSemaphore(value: 0) }
        workers = (0..<Self.workerCount).map { DispatchQueue(label: "unixfs.leaves.\($0)") }
    }

    deinit {
        // Workers hold a reference while they run, so none is running here; nothing to wait for.
        let chunks = slotCount * chunksPerSlot
        lengths.deinitialize(count: chunks); lengths.deallocate()
        results.deinitialize(count: chunks); results.deallocate()
        slotChunks.deinitialize(count: slotCount); slotChunks.deallocate()
        slotErrors.deinitialize(count: slotCount); slotErrors.deallocate()
        memory.deallocate()
    }

    private func chunkData(slot: Int, chunk: Int) -> UnsafeMutableRawPointer {
        memory + (slot * chunksPerSlot + chunk) * stride + headRoom
    }

    /// Where the next bytes of the file go: the unfilled rest of the current chunk. Opening a new
    /// group may first take back the oldest one's leaves, which go to `leaf` in file order.
    func space(_ leaf: (ImportedNode) throws -> Void) throws -> UnsafeMutableRawBufferPointer {
        if !open {
            if submitted - reclaimed == slotCount { try reclaimOldest(leaf) }
            open = true
            chunkInSlot = 0
            filled = 0
        }
        let start = chunkData(slot: submitted % slotCount, chunk: chunkInSlot) + filled
        return UnsafeMutableRawBufferPointer(start: start, count: chunkSize - filled)
    }

    /// Records that `n` bytes were written into the last `space`; a full chunk is closed.
    func commit(_ n: Int) {
        filled += n
        if filled == chunkSize { closeChunk() }
    }

    /// Whether bytes are waiting in an unclosed chunk.
    var hasPartialChunk: Bool { open && filled > 0 }

    /// Closes the current chunk even if short (the file's last chunk, or an empty file's one leaf).
    func closeChunk() {
        let slot = submitted % slotCount
        lengths[slot * chunksPerSlot + chunkInSlot] = filled
        leavesSubmitted += 1
        chunkInSlot += 1
        filled = 0
        if chunkInSlot == chunksPerSlot { submit() }
    }

    /// Submits the open group (if any chunk in it is closed) and takes every leaf back, in order.
    func finish(_ leaf: (ImportedNode) throws -> Void) throws {
        if open && chunkInSlot > 0 { submit() }
        open = false
        while reclaimed < submitted { try reclaimOldest(leaf) }
    }

    private func submit() {
        let slot = submitted % slotCount
        slotChunks[slot] = chunkInSlot
        slotErrors[slot] = nil
        submitted += 1
        open = false
        workers[(submitted - 1) % workers.count].async { [self] in
            do {
                for c in 0..<slotChunks[slot] { try storeLeaf(slot: slot, chunk: c) }
            } catch {
                slotErrors[slot] = error
            }
            done[slot].signal()
        }
    }

    private func reclaimOldest(_ leaf: (ImportedNode) throws -> Void) throws {
        let slot = reclaimed % slotCount
        done[slot].wait()
        reclaimed += 1
        if let e = slotErrors[slot] { throw e }
        for c in 0..<slotChunks[slot] { try leaf(results[slot * chunksPerSlot + c]!) }
    }

    /// Runs on a worker: hashes one chunk's leaf block and stores it.
    private func storeLeaf(slot: Int, chunk: Int) throws {
        let i = slot * chunksPerSlot + chunk
        let n = lengths[i]
        let data = chunkData(slot: slot, chunk: chunk)
        if raw {
            let block = UnsafeRawBufferPointer(start: data, count: n)
            let cid = CID.hashing(block, codec: .raw, version: .v1)
            try store.put(bytes: block, cid: cid)
            results[i] = ImportedNode(cid: cid, size: UInt64(n), tsize: UInt64(n))
            return
        }
        let block = Self.wrapLeaf(data: data, count: n)
        let cid = CID.hashing(block, codec: .dagPB, version: version)
        try store.put(bytes: block, cid: cid)
        results[i] = ImportedNode(cid: cid, size: UInt64(n), tsize: UInt64(block.count))
    }

    /// Writes a dag-pb leaf's framing around `count` bytes at `data` (using the reserved room) and
    /// returns the whole block: PBNode{Data: UnixFS{Type File, Data chunk, filesize len}}, as
    /// Kubo encodes a leaf.
    static func wrapLeaf(data: UnsafeMutableRawPointer, count: Int) -> UnsafeRawBufferPointer {
        let n = UInt64(count)
        var head: [UInt8] = []
        head.reserveCapacity(16)
        head.append(0x0a)
        Varint.encode(UInt64(innerLength(count)), into: &head)
        head.append(0x08); head.append(0x02)
        if n > 0 {
            head.append(0x12)
            Varint.encode(n, into: &head)
        }
        var tail: [UInt8] = [0x18]
        Varint.encode(n, into: &tail)
        let start = data - head.count
        head.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        tail.withUnsafeBytes { (data + count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return UnsafeRawBufferPointer(start: start, count: head.count + count + tail.count)
    }

    /// Length of the UnixFS message in a leaf of `count` bytes: `08 02 [12 <len> bytes] 18 <len>`.
    private static func innerLength(_ count: Int) -> Int {
        let n = UInt64(count)
        var inner = 2 + 1 + Varint.encodedLength(n)
        if n > 0 { inner += 1 + Varint.encodedLength(n) + count }
        return inner
    }

    /// Bytes of a leaf block before its chunk data: `0a <inner len> 08 02 [12 <len>]`.
    static func leafHeadLength(_ count: Int) -> Int {
        1 + Varint.encodedLength(UInt64(innerLength(count))) + 2
            + (count > 0 ? 1 + Varint.encodedLength(UInt64(count)) : 0)
    }
}
