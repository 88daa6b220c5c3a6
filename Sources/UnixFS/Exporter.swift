import Foundation
import Multiformats
import BlockStore
#if canImport(Glibc)
import Glibc
#endif

/// What a directory entry is.
public enum EntryType: String, Sendable, Equatable {
    case file, directory, symlink, unknown
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable, Equatable {
    public let name: String
    public let cid: CID
    /// File bytes for files; the link's cumulative size (Tsize) otherwise.
    public let size: UInt64
    public let type: EntryType
}

/// A block read back and classified.
public enum DecodedNode: Sendable {
    case raw([UInt8])
    case file(PBNode, UnixFSData)
    case directory(PBNode)
    case hamtShard(PBNode, UnixFSData)
    case symlink(target: [UInt8])
}

/// Reads UnixFS DAGs back out of a block store: file bytes (whole, a range, or chunk by chunk),
/// directory listings (basic and HAMT), path resolution, and writing a tree to disk.
/// Every block is verified against its CID by the store before use.
public struct Exporter: Sendable {
    public let store: any BlockStoring

    public init(store: any BlockStoring) { self.store = store }

    /// Fetches and decodes one node.
    public func node(_ cid: CID) throws -> DecodedNode {
        let block = try store.get(cid)
        switch cid.codec {
        case .raw: return .raw(block)
        case .dagPB:
            let pb = try PBNode(decoding: block)
            guard let d = pb.data else { throw UnixFSError.malformedUnixFS("\(cid) has no UnixFS Data") }
            let fs = try UnixFSData(decoding: d)
            switch fs.type {
            case .file, .raw: return .file(pb, fs)
            case .directory: return .directory(pb)
            case .hamtShard: return .hamtShard(pb, fs)
            case .symlink: return .symlink(target: fs.data ?? [])
            case .metadata: throw UnixFSError.malformedUnixFS("\(cid) is a Metadata node, which is not supported")
            }
        default: throw UnixFSError.unsupportedCodec(cid.codec, cid)
        }
    }

    public func type(of cid: CID) throws -> EntryType {
        switch try node(cid) {
        case .raw, .file: return .file
        case .directory, .hamtShard: return .directory
        case .symlink: return .symlink
        }
    }

    /// The file's length in bytes.
    public func fileSize(_ cid: CID) throws -> UInt64 {
        switch try node(cid) {
        case .raw(let b): return UInt64(b.count)
        case .file(_, let fs): return Self.size(of: fs)
        case .directory, .hamtShard: throw UnixFSError.notAFile(cid, "a directory")
        case .symlink: throw UnixFSError.notAFile(cid, "a symlink")
        }
    }

    /// Bytes `offset ..< offset+length` of the file (to the end when `length` is nil).
    public func read(_ cid: CID, offset: UInt64 = 0, length: UInt64? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        try forEachChunk(cid, offset: offset, length: length) { out.append(contentsOf: $0) }
        return out
    }

    /// Streams the file's bytes in the range, one leaf slice at a time, in order. Only the
    /// blocks covering the range are fetched: file nodes are descended by their blocksizes.
    public func forEachChunk(_ cid: CID, offset: UInt64 = 0, length: UInt64? = nil,
                             _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        let size = try fileSize(cid)
        guard offset <= size else { throw UnixFSError.rangeOutOfBounds(offset: offset, size: size) }
        let end = length.map { min(size, offset + min($0, size - offset)) } ?? size
        guard end > offset else { return }
        try walk(cid, base: 0, from: offset, to: end, body)
    }

    private func walk(_ cid: CID, base: UInt64, from: UInt64, to: UInt64,
                      _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        switch try node(cid) {
        case .raw(let b):
            try emit(b[...], base: base, from: from, to: to, body)
        case .file(let pb, let fs):
            var pos = base
            if let d = fs.data, !d.isEmpty {
                try emit(d[...], base: pos, from: from, to: to, body)
                pos += UInt64(d.count)
            }
            guard fs.blocksizes.count == pb.links.count else {
                throw UnixFSError.malformedUnixFS("\(cid) has \(pb.links.count) links but \(fs.blocksizes.count) blocksizes")
            }
            for (link, bs) in zip(pb.links, fs.blocksizes) {
                if pos >= to { break }
                if pos + bs > from { try walk(link.cid, base: pos, from: from, to: to, body) }
                pos += bs
            }
        default:
            throw UnixFSError.notAFile(cid, "not file data")
        }
    }

    private func emit(_ bytes: ArraySlice<UInt8>, base: UInt64, from: UInt64, to: UInt64,
                      _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        let lo = max(from, base), hi = min(to, base + UInt64(bytes.count))
        guard hi > lo else { return }
        let s = bytes.startIndex + Int(lo - base)
        try body(bytes[s..<(s + Int(hi - lo))])
    }

    static func size(of fs: UnixFSData) -> UInt64 {
        fs.filesize ?? (UInt64(fs.data?.count ?? 0) + fs.blocksizes.reduce(0, +))
    }

    // MARK: directories

    /// The directory's links (HAMT shards flattened, prefixes removed), without fetching children.
    public func links(ofDirectory cid: CID) throws -> [PBLink] {
        switch try node(cid) {
        case .directory(let pb): return pb.links
        case .hamtShard(let pb, _): return try hamtLinks(pb, cid: cid)
        default: throw UnixFSError.notADirectory(cid)
        }
    }

    private func hamtLinks(_ pb: PBNode, cid: CID) throws -> [PBLink] {
        var out: [PBLink] = []
        for l in pb.links {
            guard l.name.utf8.count >= 2 else { throw UnixFSError.malformedUnixFS("HAMT link name '\(l.name)' in \(cid) is too short") }
            if l.name.utf8.count == 2 {
                guard case .hamtShard(let child, _) = try node(l.cid) else {
                    throw UnixFSError.malformedUnixFS("HAMT link '\(l.name)' in \(cid) is not a shard")
                }
                out += try hamtLinks(child, cid: l.cid)
            } else {
                out.append(PBLink(cid: l.cid, name: String(l.name.dropFirst(2)), tsize: l.tsize))
            }
        }
        return out
    }

    /// Lists a directory; each child is fetched to learn its type and file size.
    public func ls(_ cid: CID) throws -> [DirectoryEntry] {
        try links(ofDirectory: cid).map { l in
            var type = EntryType.unknown
            var size = l.tsize ?? 0
            if let n = try? node(l.cid) {
                switch n {
                case .raw(let b): type = .file; size = UInt64(b.count)
                case .file(_, let fs): type = .file; size = Self.size(of: fs)
                case .directory, .hamtShard: type = .directory
                case .symlink: type = .symlink
                }
            }
            return DirectoryEntry(name: l.name, cid: l.cid, size: size, type: type)
        }
    }

    /// Resolves `CID[/name...]` (or `/ipfs/CID/...`) to the CID it names.
    public func resolve(path: String) throws -> CID {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if path.hasPrefix("/") {
            guard parts.first == "ipfs" else { throw UnixFSError.invalidPath(path) }
            parts.removeFirst()
        }
        guard let first = parts.first else { throw UnixFSError.invalidPath(path) }
        var cid = try CID(first)
        for name in parts.dropFirst() {
            cid = try child(named: name, of: cid)
        }
        return cid
    }

    /// The child called `name`; HAMTs are searched by the name's hash, not listed.
    public func child(named name: String, of cid: CID) throws -> CID {
        switch try node(cid) {
        case .directory(let pb):
            guard let l = pb.links.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else { throw UnixFSError.noSuchLink(name: name, in: cid) }
            return l.cid
        case .hamtShard(let pb, _):
            let hash = Murmur3.hamtHash(name)
            var shard = pb
            var shardCID = cid
            for depth in 0..<hash.count {
                let prefix = HAMTBuilder.hex(Int(hash[depth]))
                let full = prefix + name
                if let l = shard.links.first(where: { $0.name.utf8.elementsEqual(full.utf8) }) { return l.cid }
                guard let sub = shard.links.first(where: { $0.name.utf8.elementsEqual(prefix.utf8) }) else { break }
                guard case .hamtShard(let next, _) = try node(sub.cid) else {
                    throw UnixFSError.malformedUnixFS("HAMT link '\(prefix)' in \(shardCID) is not a shard")
                }
                shard = next
                shardCID = sub.cid
            }
            throw UnixFSError.noSuchLink(name: name, in: cid)
        default:
            throw UnixFSError.notADirectory(cid)
        }
    }

    // MARK: get

    /// Writes the file, symlink or tree at `cid` to `destination`. A file replaces an existing
    /// file; a directory must not exist yet. Link names that could escape (empty, ".", "..",
    /// containing "/" or NUL) are refused, and nothing is ever written through a symlink.
    public func get(_ cid: CID, to destination: URL) throws {
        try write(cid, to: destination.path, topLevel: true)
    }

    /// True for names that are safe to create inside a folder.
    public static func isSafeName(_ name: String) -> Bool {
        // Byte comparisons: Character-level ones would miss a "/" followed by a combining mark.
        let b = Array(name.utf8)
        return !b.isEmpty && b != [0x2e] && b != [0x2e, 0x2e] && !b.contains(0x2f) && !b.contains(0)
    }

    private func write(_ cid: CID, to path: String, topLevel: Bool) throws {
        switch try node(cid) {
        case .raw, .file:
            let tmp = topLevel ? path + ".ipfs-accelerate-\(UInt32.random(in: 0...UInt32.max)).tmp" : path
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw UnixFSError.io(path: tmp, reason: String(cString: strerror(errno))) }
            do {
                try forEachChunk(cid) { chunk in
                    try chunk.withUnsafeBytes { buf in
                        var off = 0
                        while off < buf.count {
                            let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                            if n < 0 {
                                if errno == EINTR { continue }
                                throw UnixFSError.io(path: path, reason: String(cString: strerror(errno)))
                            }
                            off += n
                        }
                    }
                }
                close(fd)
            } catch {
                close(fd)
                unlink(tmp)
                throw error
            }
            if topLevel && rename(tmp, path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(tmp)
                throw UnixFSError.io(path: path, reason: reason)
            }
        case .symlink(let target):
            guard symlink(String(decoding: target, as: UTF8.self), path) == 0 else {
                throw UnixFSError.io(path: path, reason: String(cString: strerror(errno)))
            }
        case .directory, .hamtShard:
            let links = try links(ofDirectory: cid)
            for l in links where !Self.isSafeName(l.name) { throw UnixFSError.unsafeLinkName(l.name) }
            guard mkdir(path, 0o755) == 0 else {
                throw UnixFSError.io(path: path, reason: String(cString: strerror(errno)))
            }
            for l in links { try write(l.cid, to: path + "/" + l.name, topLevel: false) }
        }
    }
}
