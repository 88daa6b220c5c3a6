import Dispatch
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
/// Leaves are hashed (and stored) on all cores a batch at a time, in the background: while one
/// batch is hashed the caller fills the next, so reading and hashing overlap. At most two
/// batches (a few MiB) are held.
///
///     let b = FileBuilder(options: .unixfsV0_2015, store: store)
///     try b.append(body1); try b.append(body2)
///     let root = try b.finish()   // root.cid, root.size (file bytes), root.tsize
public final class FileBuilder {
    public let options: ImportOptions
    private let store: any BlockStoring
    private var pending: [UInt8] = []
    private var batch: [[UInt8]] = []
    private var inflight: LeafBatch?
    private var levels: [[ImportedNode]] = [[]]
    private var leafCount = 0
    private var finished = false
    private var hashedBytes: UInt64 = 0
    public private(set) var bytesAppended: UInt64 = 0
    /// Called with the running count of bytes hashed (for progress bars).
    public var progress: ((UInt64) -> Void)?

    private let batchSize: Int

    public init(options: ImportOptions = .unixfsV0_2015, store: any BlockStoring) {
        self.options = options
        self.store = store
        // A few MiB per batch keeps both cores busy without holding much memory.
        batchSize = max(2, min(64, (4 << 20) / max(1, options.chunkSize)))
        pending.reserveCapacity(options.chunkSize)
    }

    deinit { inflight?.wait() }

    /// Adds the next bytes of the file.
    public func append(_ bytes: some Collection<UInt8>) throws {
        guard !finished else { throw UnixFSError.invalidOption("FileBuilder.append called after finish") }
        bytesAppended += UInt64(bytes.count)
        let chunk = options.chunkSize
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(chunk - pending.count, rest.count)
            let end = rest.index(rest.startIndex, offsetBy: take)
            pending.append(contentsOf: rest[rest.startIndex..<end])
            rest = rest[end...]
            if pending.count == chunk {
                batch.append(pending)
                pending = []
                pending.reserveCapacity(chunk)
                if batch.count >= batchSize { try startBatch() }
            }
        }
    }

    /// Completes the DAG and returns its root. Blocks are in the store (not yet synced).
    public func finish() throws -> ImportedNode {
        guard !finished else { throw UnixFSError.invalidOption("FileBuilder.finish called twice") }
        finished = true
        if !pending.isEmpty || (leafCount == 0 && batch.isEmpty && inflight == nil) {
            batch.append(pending)  // the last partial chunk, or the one empty leaf of an empty file
            pending = []
        }
        try startBatch()
        try collectInflight()
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

    /// Hands the current batch to the background and takes in the previous batch's results.
    private func startBatch() throws {
        guard !batch.isEmpty else { return }
        let next = LeafBatch(chunks: batch, raw: options.rawLeaves, version: options.cidVersion, store: store)
        batch.removeAll(keepingCapacity: true)
        try collectInflight()
        inflight = next
    }

    private func collectInflight() throws {
        guard let b = inflight else { return }
        inflight = nil
        let results = try b.results()
        for r in results { try push(r, level: 0) }
        leafCount += results.count
        hashedBytes += results.reduce(0) { $0 + $1.size }
        progress?(hashedBytes)
    }

    static func storeLeaf(_ chunk: [UInt8], raw: Bool, version: CID.Version, store: any BlockStoring) throws -> ImportedNode {
        if raw {
            let cid = CID.hashing(chunk, codec: .raw, version: .v1)
            try store.put(chunk, cid: cid)
            return ImportedNode(cid: cid, size: UInt64(chunk.count), tsize: UInt64(chunk.count))
        }
        let block = encodeLeaf(chunk)
        let cid = CID.hashing(block, codec: .dagPB, version: version)
        try store.put(block, cid: cid)
        return ImportedNode(cid: cid, size: UInt64(chunk.count), tsize: UInt64(block.count))
    }

    /// A dag-pb leaf: PBNode{Data: UnixFS{Type File, Data chunk, filesize len}}, built in one buffer.
    static func encodeLeaf(_ chunk: [UInt8]) -> [UInt8] {
        let n = UInt64(chunk.count)
        var inner = 2 + 1 + Varint.encodedLength(n)  // 08 02, 18 <len>
        if n > 0 { inner += 1 + Varint.encodedLength(n) + chunk.count }  // 12 <len> bytes
        var out: [UInt8] = []
        out.reserveCapacity(inner + 1 + Varint.encodedLength(UInt64(inner)))
        out.append(0x0a)
        Varint.encode(UInt64(inner), into: &out)
        out.append(0x08); out.append(0x02)
        if n > 0 {
            out.append(0x12)
            Varint.encode(n, into: &out)
            out.append(contentsOf: chunk)
        }
        out.append(0x18)
        Varint.encode(n, into: &out)
        return out
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

/// One batch of leaves being hashed and stored on all cores in the background. Each worker
/// writes only its own slot, and the owner reads the slots only after `wait()`.
private final class LeafBatch: @unchecked Sendable {
    private let count: Int
    private let nodes: UnsafeMutablePointer<ImportedNode?>
    private let errors: UnsafeMutablePointer<(any Error)?>
    private let group = DispatchGroup()
    private var waited = false

    init(chunks: [[UInt8]], raw: Bool, version: CID.Version, store: any BlockStoring) {
        count = chunks.count
        nodes = .allocate(capacity: count)
        nodes.initialize(repeating: nil, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: nil, count: count)
        DispatchQueue.global().async(group: group) { [self] in
            DispatchQueue.concurrentPerform(iterations: count) { i in
                do {
                    nodes[i] = try FileBuilder.storeLeaf(chunks[i], raw: raw, version: version, store: store)
                } catch {
                    errors[i] = error
                }
            }
        }
    }

    func wait() {
        if !waited { group.wait(); waited = true }
    }

    /// Waits, then returns the leaves in order (or the first error).
    func results() throws -> [ImportedNode] {
        wait()
        for i in 0..<count { if let e = errors[i] { throw e } }
        return (0..<count).map { nodes[$0]! }
    }

    deinit {
        wait()
        nodes.deinitialize(count: count)
        nodes.deallocate()
        errors.deinitialize(count: count)
        errors.deallocate()
    }
}
