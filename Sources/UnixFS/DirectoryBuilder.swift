import Multiformats
import BlockStore

/// Builds one directory node from its entries: a basic dag-pb directory, or a HAMT shard tree
/// when the size estimate is over `options.hamtThreshold` (as current Kubo decides).
public struct DirectoryBuilder {
    public let options: ImportOptions
    private let store: any BlockStoring
    // Keyed by UTF-8 bytes: Swift's String equality would merge "ä" and "a\u{308}", which are
    // distinct names on disk and in Kubo.
    private var entries: [[UInt8]: (name: String, node: ImportedNode)] = [:]

    public init(options: ImportOptions, store: any BlockStoring) {
        self.options = options
        self.store = store
    }

    /// Adds an entry; names must be unique, non-empty and free of "/".
    public mutating func add(name: String, node: ImportedNode) throws(UnixFSError) {
        guard !name.isEmpty, !name.utf8.contains(0x2f) else { throw .unsafeLinkName(name) }
        let key = Array(name.utf8)
        guard entries[key] == nil else { throw .invalidOption("duplicate directory entry '\(name)'") }
        entries[key] = (name, node)
    }

    /// Writes the directory (and any shards) to the store; returns its root.
    public func finish() throws -> ImportedNode {
        let sorted = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.value)
        let links = sorted.map { PBLink(cid: $0.node.cid, name: $0.name, tsize: $0.node.tsize) }
        if estimate(links) > options.hamtThreshold {
            return try HAMTBuilder(options: options, store: store).build(sorted.map { ($0.name, $0.node) })
        }
        return try Self.store(PBNode(links: links, data: UnixFSData(type: .directory).encode()),
                              options: options, store: store)
    }

    func estimate(_ links: [PBLink]) -> Int {
        switch options.hamtEstimator {
        case .links:
            return links.reduce(0) { $0 + $1.name.utf8.count + $1.cid.bytes.count }
        case .block:
            return PBNode.encodedLength(links: links, dataLength: 2)
        }
    }

    static func store(_ node: PBNode, options: ImportOptions, store: any BlockStoring) throws -> ImportedNode {
        let block = node.encode()
        let cid = CID.hashing(block, codec: .dagPB, version: options.cidVersion)
        try store.put(block, cid: cid)
        let tsize = node.links.reduce(UInt64(block.count)) { $0 + ($1.tsize ?? 0) }
        return ImportedNode(cid: cid, size: 0, tsize: tsize)
    }
}

/// A UnixFS HAMT (fanout 256, murmur3-x64-64): each level takes one byte of the name's hash;
/// a slot holding one entry links it directly (name = `%02X` + entry name), a slot several
/// entries share becomes a child shard (name = `%02X`).
struct HAMTBuilder {
    let options: ImportOptions
    let store: any BlockStoring

    private final class Shard {
        var slots: [Int: Slot] = [:]
    }
    private enum Slot {
        case entry(name: String, hash: [UInt8], node: ImportedNode)
        case shard(Shard)
    }

    func build(_ entries: [(String, ImportedNode)]) throws -> ImportedNode {
        let root = Shard()
        for (name, node) in entries {
            try insert(name: name, hash: Murmur3.hamtHash(name), node: node, into: root, depth: 0)
        }
        return try write(root)
    }

    private func insert(name: String, hash: [UInt8], node: ImportedNode, into shard: Shard, depth: Int) throws {
        guard depth < hash.count else {
            throw UnixFSError.hashCollision("'\(name)' shares all 64 hash bits with another entry")
        }
        let idx = Int(hash[depth])
        switch shard.slots[idx] {
        case nil:
            shard.slots[idx] = .entry(name: name, hash: hash, node: node)
        case .shard(let child):
            try insert(name: name, hash: hash, node: node, into: child, depth: depth + 1)
        case .entry(let otherName, let otherHash, let otherNode):
            let child = Shard()
            try insert(name: otherName, hash: otherHash, node: otherNode, into: child, depth: depth + 1)
            try insert(name: name, hash: hash, node: node, into: child, depth: depth + 1)
            shard.slots[idx] = .shard(child)
        }
    }

    private func write(_ shard: Shard) throws -> ImportedNode {
        var links: [PBLink] = []
        var bitfield = [UInt8](repeating: 0, count: 32)  // big-endian 256-bit integer
        for idx in shard.slots.keys.sorted() {
            bitfield[31 - idx / 8] |= UInt8(1 << (idx % 8))
            let prefix = Self.hex(idx)
            switch shard.slots[idx]! {
            case .entry(let name, _, let node):
                links.append(PBLink(cid: node.cid, name: prefix + name, tsize: node.tsize))
            case .shard(let child):
                let c = try write(child)
                links.append(PBLink(cid: c.cid, name: prefix, tsize: c.tsize))
            }
        }
        let stripped = Array(bitfield.drop(while: { $0 == 0 }))
        let data = UnixFSData(type: .hamtShard, data: stripped, hashType: 0x22, fanout: UInt64(options.hamtFanout))
        return try DirectoryBuilder.store(PBNode(links: links, data: data.encode()), options: options, store: store)
    }

    static func hex(_ i: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[i >> 4], digits[i & 15]])
    }
}
