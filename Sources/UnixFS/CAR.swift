import Foundation
import Multiformats
import BlockStore

/// Writes CAR v1 streams as `ipfs dag export` does: one header, then every block of the DAG
/// depth-first pre-order over links in stored order, each block once.
public struct CARWriter: Sendable {
    public let store: any BlockStoring

    public init(store: any BlockStoring) { self.store = store }

    /// The header section: varint length + dag-cbor `{"roots": [CID...], "version": 1}`.
    public static func header(roots: [CID]) -> [UInt8] {
        var cbor: [UInt8] = [0xa2]  // map(2), keys in canonical order
        CBOR.text("roots", into: &cbor)
        CBOR.head(major: 4, UInt64(roots.count), into: &cbor)
        for r in roots {
            cbor += [0xd8, 0x2a]  // tag 42
            CBOR.head(major: 2, UInt64(r.bytes.count + 1), into: &cbor)
            cbor.append(0x00)
            cbor += r.bytes
        }
        CBOR.text("version", into: &cbor)
        cbor.append(0x01)
        return Varint.encode(UInt64(cbor.count)) + cbor
    }

    /// One block section: varint(len(cid)+len(data)) || cid || data.
    public static func section(cid: CID, data: [UInt8]) -> [UInt8] {
        var out = Varint.encode(UInt64(cid.bytes.count + data.count))
        out.reserveCapacity(out.count + cid.bytes.count + data.count)
        out += cid.bytes
        out += data
        return out
    }

    /// Streams the CAR of the DAG under `root` to `write`; returns the number of blocks.
    @discardableResult
    public func export(root: CID, write: ([UInt8]) throws -> Void) throws -> Int {
        try write(Self.header(roots: [root]))
        var blocks = Blocks(store: store, root: root)
        var count = 0
        while let (cid, data) = try blocks.next() {
            try write(Self.section(cid: cid, data: data))
            count += 1
        }
        return count
    }

    /// The blocks of a DAG in CAR order (depth-first pre-order over links in stored order, each
    /// once), one at a time, for callers that write them in pieces.
    public struct Blocks {
        let store: any BlockStoring
        var stack: [CID]
        var seen = Set<CID>()

        public init(store: any BlockStoring, root: CID) {
            self.store = store
            self.stack = [root]
        }

        public var isEmpty: Bool { stack.isEmpty }

        public mutating func next() throws -> (cid: CID, data: [UInt8])? {
            while let cid = stack.popLast() {
                guard seen.insert(cid).inserted else { continue }
                let data = try store.get(cid)
                stack += try DagLinks.links(of: cid, block: data).reversed()
                return (cid, data)
            }
            return nil
        }
    }
}

/// Reads CAR v1 streams, verifying every block against its CID.
public final class CARReader {
    /// Largest header or block section accepted (Kubo's blocks are at most a few MiB).
    public static let maxSection = 16 << 20

    private let source: (Int) throws -> [UInt8]
    private var buffer: [UInt8] = []
    private var pos = 0
    private var eof = false
    public private(set) var roots: [CID] = []
    private var headerRead = false

    /// `read(n)` returns up to `n` bytes, or an empty array at the end of the stream.
    public init(read: @escaping (Int) throws -> [UInt8]) { source = read }

    public convenience init(bytes: [UInt8]) {
        var given = false
        self.init { _ in
            if given { return [] }
            given = true
            return bytes
        }
    }

    public convenience init(fileHandle: FileHandle) {
        self.init { n in
            guard let d = try fileHandle.read(upToCount: n) else { return [] }
            return [UInt8](d)
        }
    }

    /// Parses the header (once) and returns its roots.
    @discardableResult
    public func readHeader() throws -> [CID] {
        if headerRead { return roots }
        guard let len = try readVarint() else { throw UnixFSError.malformedCAR("empty stream: no header") }
        guard len > 0 && len <= UInt64(Self.maxSection) else { throw UnixFSError.malformedCAR("header length \(len) is invalid") }
        let bytes = try readExactly(Int(len), what: "header")
        roots = try CBOR.decodeCARHeader(bytes)
        headerRead = true
        return roots
    }

    /// The next verified block, or nil at the clean end of the stream.
    public func nextBlock() throws -> (cid: CID, data: [UInt8])? {
        try readHeader()
        guard let len = try readVarint() else { return nil }
        guard len > 0 && len <= UInt64(Self.maxSection) else { throw UnixFSError.malformedCAR("section length \(len) is invalid") }
        let section = try readExactly(Int(len), what: "block section")
        let cid: CID
        let end: Int
        do { (cid, end) = try CID.parse(section, at: 0) } catch {
            throw UnixFSError.malformedCAR("section CID: \(error)")
        }
        let data = Array(section[end...])
        let ok: Bool
        do { ok = try cid.multihash.matches(data) } catch {
            throw UnixFSError.malformedCAR("cannot verify \(cid): \(error)")
        }
        guard ok else { throw UnixFSError.carBlockMismatch(cid) }
        return (cid, data)
    }

    // MARK: buffered reading

    private func fill() throws -> Bool {
        if eof { return false }
        if pos > 0 && pos == buffer.count { buffer.removeAll(keepingCapacity: true); pos = 0 }
        let more = try source(1 << 20)
        if more.isEmpty { eof = true; return false }
        if pos > 0 { buffer.removeFirst(pos); pos = 0 }
        buffer += more
        return true
    }

    /// nil only when the stream ends cleanly before the varint starts.
    private func readVarint() throws -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var started = false
        while true {
            if pos == buffer.count {
                guard try fill() else {
                    if started { throw UnixFSError.malformedCAR("truncated: stream ends inside a length") }
                    return nil
                }
            }
            let b = buffer[pos]
            pos += 1
            started = true
            if shift == 63 && b > 1 { throw UnixFSError.malformedCAR("length varint overflows") }
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw UnixFSError.malformedCAR("length varint too long") }
        }
    }

    private func readExactly(_ n: Int, what: String) throws -> [UInt8] {
        while buffer.count - pos < n {
            guard try fill() else {
                throw UnixFSError.malformedCAR("truncated \(what): needs \(n) bytes, only \(buffer.count - pos) remain")
            }
        }
        let out = Array(buffer[pos..<(pos + n)])
        pos += n
        return out
    }
}

/// What a CAR import did.
public struct CARImportResult: Sendable {
    public let roots: [CID]
    public let blockCount: Int
}

/// Reads a whole CAR into `store`: every block verified, the store synced at the end. Any error
/// aborts before the caller pins anything (blocks already written stay unpinned, so gc can drop them).
public func importCAR(_ reader: CARReader, into store: any BlockStoring) throws -> CARImportResult {
    let roots = try reader.readHeader()
    var n = 0
    while let (cid, data) = try reader.nextBlock() {
        try store.put(data, cid: cid)
        n += 1
    }
    try store.sync()
    return CARImportResult(roots: roots, blockCount: n)
}

/// The little dag-cbor a CAR header needs.
enum CBOR {
    static func head(major: UInt8, _ v: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch v {
        case 0..<24: out.append(m | UInt8(v))
        case 24..<256: out += [m | 24, UInt8(v)]
        case 256..<65536: out += [m | 25, UInt8(v >> 8), UInt8(v & 0xff)]
        case 65536..<(1 << 32): out.append(m | 26); for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
        default: out.append(m | 27); for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
        }
    }

    static func text(_ s: String, into out: inout [UInt8]) {
        head(major: 3, UInt64(s.utf8.count), into: &out)
        out += s.utf8
    }

    indirect enum Item {
        case uint(UInt64), negative(UInt64), bytes([UInt8]), text(String), array([Item])
        case map([(String, Item)]), tag(UInt64, Item), simple(UInt8)
    }

    struct Parser {
        let b: [UInt8]
        var i = 0

        mutating func byte() throws -> UInt8 {
            guard i < b.count else { throw UnixFSError.malformedCAR("header CBOR is truncated") }
            defer { i += 1 }
            return b[i]
        }

        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                var v: UInt64 = 0
                for _ in 0..<(1 << (info - 24)) { v = v << 8 | UInt64(try byte()) }
                return v
            default: throw UnixFSError.malformedCAR("header CBOR uses indefinite lengths or reserved values")
            }
        }

        mutating func item(depth: Int = 0) throws -> Item {
            guard depth < 16 else { throw UnixFSError.malformedCAR("header CBOR nests too deeply") }
            let h = try byte()
            let major = h >> 5
            let arg = try argument(h & 31)
            func count() throws -> Int {
                guard arg <= UInt64(b.count - i) else { throw UnixFSError.malformedCAR("header CBOR length \(arg) exceeds the header") }
                return Int(arg)
            }
            switch major {
            case 0: return .uint(arg)
            case 1: return .negative(arg)
            case 2:
                let n = try count(); defer { i += n }
                return .bytes(Array(b[i..<(i + n)]))
            case 3:
                let n = try count(); defer { i += n }
                guard let s = String(validating: b[i..<(i + n)], as: UTF8.self) else {
                    throw UnixFSError.malformedCAR("header CBOR text is not UTF-8")
                }
                return .text(s)
            case 4:
                let n = try count()
                var items: [Item] = []
                for _ in 0..<n { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let n = try count()
                var pairs: [(String, Item)] = []
                for _ in 0..<n {
                    guard case .text(let k) = try item(depth: depth + 1) else {
                        throw UnixFSError.malformedCAR("header CBOR map key is not text")
                    }
                    pairs.append((k, try item(depth: depth + 1)))
                }
                return .map(pairs)
            case 6: return .tag(arg, try item(depth: depth + 1))
            default: return .simple(h & 31)
            }
        }
    }

    static func decodeCARHeader(_ bytes: [UInt8]) throws -> [CID] {
        var p = Parser(b: bytes)
        let top = try p.item()
        guard p.i == bytes.count else { throw UnixFSError.malformedCAR("\(bytes.count - p.i) extra bytes after the header") }
        guard case .map(let pairs) = top else { throw UnixFSError.malformedCAR("header is not a map") }
        var version: UInt64?
        var roots: [CID]?
        for (k, v) in pairs {
            switch (k, v) {
            case ("version", .uint(let n)): version = n
            case ("roots", .array(let items)):
                roots = try items.map { item -> CID in
                    guard case .tag(42, .bytes(let raw)) = item, raw.first == 0x00 else {
                        throw UnixFSError.malformedCAR("a root is not a CID link (tag 42)")
                    }
                    do { return try CID(bytes: Array(raw.dropFirst())) } catch {
                        throw UnixFSError.malformedCAR("root CID: \(error)")
                    }
                }
            default: break
            }
        }
        guard version == 1 else { throw UnixFSError.malformedCAR("version is \(version.map(String.init) ?? "missing"), only CAR v1 is supported") }
        guard let roots else { throw UnixFSError.malformedCAR("header has no roots") }
        return roots
    }
}
