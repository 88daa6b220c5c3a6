import Foundation
import Multiformats

/// The pin set: recursive pins keep a whole DAG, direct pins one block. Persisted as JSON
/// (`pins.json`, written atomically) and re-read on every call so that several processes
/// sharing a data directory see each other's pins.
public final class PinStore: @unchecked Sendable {
    public enum Kind: String, Codable, Sendable { case recursive, direct }

    public struct Pin: Hashable, Sendable {
        public let cid: CID
        public let kind: Kind
    }

    private struct FileFormat: Codable {
        var recursive: [String] = []
        var direct: [String] = []
    }

    public let file: URL
    private let lock = NSLock()

    public init(file: URL) throws {
        self.file = file
        _ = try load()  // fail early on an unreadable file
    }

    /// Pins `cid`. A recursive pin replaces a direct one; a direct pin on a recursively pinned
    /// CID changes nothing.
    public func pin(_ cid: CID, recursive: Bool) throws {
        try pin([cid], recursive: recursive)
    }

    /// Pins several CIDs in one write (all or none).
    public func pin(_ cids: [CID], recursive: Bool) throws {
        try lock.withLock {
            var f = try load()
            for cid in cids {
                let s = cid.description
                if recursive {
                    f.direct.removeAll { $0 == s }
                    if !f.recursive.contains(s) { f.recursive.append(s) }
                } else if !f.recursive.contains(s) && !f.direct.contains(s) {
                    f.direct.append(s)
                }
            }
            try save(f)
        }
    }

    /// Removes the pin on `cid` (either kind); throws `.notPinned` when there is none.
    public func unpin(_ cid: CID) throws {
        try lock.withLock {
            var f = try load()
            let s = cid.description
            let before = f.recursive.count + f.direct.count
            f.recursive.removeAll { $0 == s }
            f.direct.removeAll { $0 == s }
            guard f.recursive.count + f.direct.count < before else { throw BlockStoreError.notPinned(cid) }
            try save(f)
        }
    }

    /// Every pin, recursive first, each in the order pinned.
    public func list() throws -> [Pin] {
        let f = try lock.withLock { try load() }
        func parse(_ s: String, _ k: Kind) throws -> Pin {
            do { return Pin(cid: try CID(s), kind: k) } catch {
                throw BlockStoreError.invalidPinFile("'\(s)' is not a CID: \(error)")
            }
        }
        return try f.recursive.map { try parse($0, .recursive) } + f.direct.map { try parse($0, .direct) }
    }

    public func kind(of cid: CID) throws -> Kind? {
        try list().first { $0.cid == cid }?.kind
    }

    private func load() throws -> FileFormat {
        guard let data = FileManager.default.contents(atPath: file.path) else { return FileFormat() }
        do { return try JSONDecoder().decode(FileFormat.self, from: data) } catch {
            throw BlockStoreError.invalidPinFile("\(file.path): \(error)")
        }
    }

    private func save(_ f: FileFormat) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            // .atomic writes a temp file and renames it over the old one.
            try enc.encode(f).write(to: file, options: .atomic)
        } catch {
            throw BlockStoreError.io(path: file.path, reason: "cannot write pins: \(error.localizedDescription)")
        }
    }
}

/// What `collectGarbage` did.
public struct GarbageCollectionResult: Sendable {
    public var removed: [CID]
    public var kept: Int
    /// Unreferenced blocks kept because a write in flight may still record them (see `StoreWriters`).
    public var spared: Int = 0
}

/// Removes every block not reachable from a pin. `links` lists a block's children (the UnixFS
/// layer passes its dag-pb decoder; raw blocks have none). Blocks of a recursive pin that are
/// missing are skipped; an inner node that is corrupt stops the collection before anything is
/// deleted (raw leaves are not read: see `reachableBlocks`).
/// `keepAlso` are further roots kept whole, like recursive pins (e.g. what the hub's database refers to).
/// Blocks written since `cutoff` are spared: pass `store.collectionCutoff()` as read before
/// `keepAlso` was (nil: read here, before the pins).
public func collectGarbage(store: any BlockStoring, pins: PinStore, keepAlso: [CID] = [], sparingWritesSince cutoff: Date? = nil,
                           links: (CID, [UInt8]) throws -> [CID]) throws -> GarbageCollectionResult {
    let cutoff = cutoff ?? store.collectionCutoff()
    var roots: [CID] = keepAlso
    var direct: [CID] = []
    for pin in try pins.list() {
        switch pin.kind {
        case .direct: direct.append(pin.cid)
        case .recursive: roots.append(pin.cid)
        }
    }
    var live = try reachableBlocks(from: roots, in: store, links: links)
    live.formUnion(direct.map(\.multihash))
    var removed: [CID] = []
    var kept = 0, spared = 0
    for key in try store.allKeys() {
        if live.contains(key.multihash) { kept += 1; continue }
        if try store.delete(key, unlessWrittenSince: cutoff) { removed.append(key) } else { spared += 1 }
    }
    try store.sync()
    return GarbageCollectionResult(removed: removed, kept: kept, spared: spared)
}

/// The blocks reachable from `roots`, by multihash: what gc and the mirror's eviction keep, marked
/// the one way. Raw blocks have no links and are not read, so marking reads the inner nodes only
/// (a file's leaves, most of a store's bytes, are never touched). A missing block is skipped (its
/// subtree is unknown); one that cannot be read or decoded throws, so a caller stops before deleting.
public func reachableBlocks(from roots: [CID], in store: any BlockStoring,
                            links: (CID, [UInt8]) throws -> [CID]) throws -> Set<Multihash> {
    var live = Set<Multihash>()
    var stack = roots
    var visited = Set<CID>()
    while let cid = stack.popLast() {
        guard visited.insert(cid).inserted else { continue }
        live.insert(cid.multihash)
        guard cid.codec != .raw else { continue }
        let data: [UInt8]
        do { data = try store.get(cid) } catch BlockStoreError.notFound { continue }
        stack.append(contentsOf: try links(cid, data).reversed())
    }
    return live
}
