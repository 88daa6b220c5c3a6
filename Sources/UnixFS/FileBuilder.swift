#if canImport(Glibc)
import Glibc
#endif
import Multiformats
import BlockStore

/// Builds one file's DAG from bytes pushed in any pieces (HTTP bodies, file reads), with memory
/// bounded by a few chunks whatever the file size.
///
/// The layout is Kubo's balanced one: fixed-size chunks become leaves; leaves are grouped by
/// `maxLinks` into file nodes, those again by `maxLinks`, until one root remains; a one-chunk
/// file's root is the leaf itself. A level is only closed when more data arrives, which
/// reproduces Kubo's "fill to the same depth" tree exactly.
///
/// Leaves are hashed and stored on all cores in the background (`LeafPipeline`) while the
/// caller fills the next chunks, so reading, hashing and writing overlap; memory stays at the
/// pipeline's few MiB of reusable buffers whatever the file size.
///
///     let b = FileBuilder(options: .unixfsV0_2015, store: store)
///     try b.append(body1); try b.append(body2)
///     let root = try b.finish()   // root.cid, root.size (file bytes), root.tsize
public final class FileBuilder {
    public let options: ImportOptions
    private let store: any BlockStoring
    private let leaves: LeafPipeline
    private var levels: [[ImportedNode]] = [[]]
    private var finished = false
    private var hashedBytes: UInt64 = 0
    private var reportedBytes: UInt64 = 0
    public private(set) var bytesAppended: UInt64 = 0
    /// Called with the running count of bytes hashed (for progress bars).
    public var progress: ((UInt64) -> Void)?

    public init(options: ImportOptions = .unixfsV0_2015, store: any BlockStoring) {
        self.options = options
        self.store = store
        leaves = LeafPipeline(chunkSize: options.chunkSize, raw: options.rawLeaves,
                              version: options.cidVersion, store: store)
    }

    /// Adds the next bytes of the file.
    public func append(_ bytes: some Collection<UInt8>) throws {
        guard !finished else { throw UnixFSError.invalidOption("FileBuilder.append called after finish") }
        let copied: Void? = try bytes.withContiguousStorageIfAvailable { try appendRaw(UnsafeRawBufferPointer($0)) }
        if copied == nil { try Array(bytes).withUnsafeBytes { try appendRaw($0) } }
    }

    private func appendRaw(_ bytes: UnsafeRawBufferPointer) throws {
        bytesAppended += UInt64(bytes.count)
        var rest = bytes
        while !rest.isEmpty {
            let space = try leaves.space(takeLeaf)
            let n = min(space.count, rest.count)
            space.baseAddress!.copyMemory(from: rest.baseAddress!, byteCount: n)
            leaves.commit(n)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        reportProgress()
    }

    /// Adds everything left to read from `fd`, read straight into the chunk buffers where the
    /// kernel copies fast. Returns false after an I/O error, with `errno` set.
    func appendContents(of fd: Int32) throws -> Bool {
        guard !finished else { throw UnixFSError.invalidOption("FileBuilder.append called after finish") }
        while true {
            let space = try leaves.space(takeLeaf)
            // The kernel's copy is several times slower when the buffer is not aligned like the
            // file offset (a dag-pb leaf laid out for direct I/O puts its data 10 bytes past a
            // page). Then read into an aligned bounce buffer, small enough to stay in cache,
            // and copy from there in user space, which handles misalignment at full speed.
            let misaligned = (UInt(bitPattern: space.baseAddress!) &- UInt(truncatingIfNeeded: bytesAppended)) % 64 != 0
            let target = misaligned ? bounceBuffer() : UnsafeMutableRawBufferPointer(start: space.baseAddress, count: space.count)
            let n = read(fd, target.baseAddress!, min(target.count, space.count))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { return true }
            if misaligned { space.baseAddress!.copyMemory(from: target.baseAddress!, byteCount: n) }
            bytesAppended += UInt64(n)
            leaves.commit(n)
            reportProgress()
        }
    }

    private var bounce: UnsafeMutableRawBufferPointer?

    private func bounceBuffer() -> UnsafeMutableRawBufferPointer {
        if let bounce { return bounce }
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 << 10, alignment: 64)
        bounce = b
        return b
    }

    deinit { bounce?.deallocate() }

    /// Completes the DAG and returns its root. Blocks are in the store (not yet synced).
    public func finish() throws -> ImportedNode {
        guard !finished else { throw UnixFSError.invalidOption("FileBuilder.finish called twice") }
        finished = true
        // The last partial chunk, or the one empty leaf of an empty file.
        if leaves.hasPartialChunk || leaves.leavesSubmitted == 0 {
            _ = try leaves.space(takeLeaf)
            leaves.closeChunk()
        }
        try leaves.finish(takeLeaf)
        reportProgress()
        var k = 0
        while true {
            if k == levels.count - 1 {
                let top = levels[k]
                if k == 0 && top.count == 1 { return top[0] }
                return try makeNode(top)
            }
            let node = try makeNode(levels[k])
            levels[k] = []
            try push(node, level: k + 1)
            k += 1
        }
    }

    // MARK: leaves

    /// A leaf back from the pipeline, in file order.
    private func takeLeaf(_ leaf: ImportedNode) throws {
        try push(leaf, level: 0)
        hashedBytes += leaf.size
    }

    private func reportProgress() {
        guard let progress, hashedBytes != reportedBytes else { return }
        reportedBytes = hashedBytes
        progress(hashedBytes)
    }

    // MARK: tree

    private func push(_ node: ImportedNode, level: Int) throws {
        if level == levels.count { levels.append([]) }
        if levels[level].count == options.maxLinks {
            let full = try makeNode(levels[level])
            levels[level] = []
            try push(full, level: level + 1)
        }
        levels[level].append(node)
    }

    private func makeNode(_ children: [ImportedNode]) throws -> ImportedNode {
        var fileSize: UInt64 = 0
        var tsizes: UInt64 = 0
        for c in children { fileSize += c.size; tsizes += c.tsize }
        let data = UnixFSData(type: .file, filesize: fileSize, blocksizes: children.map(\.size)).encode()
        let block = PBNode(links: children.map { PBLink(cid: $0.cid, name: "", tsize: $0.tsize) }, data: data).encode()
        let cid = CID.hashing(block, codec: .dagPB, version: options.cidVersion)
        try store.put(block, cid: cid)
        return ImportedNode(cid: cid, size: fileSize, tsize: UInt64(block.count) + tsizes)
    }
}
