/// The UnixFS `Data` message carried in a dag-pb node's Data field.
public struct UnixFSData: Sendable, Equatable {
    public enum DataType: UInt64, Sendable {
        case raw = 0, directory = 1, file = 2, metadata = 3, symlink = 4, hamtShard = 5
    }

    public struct Mtime: Sendable, Equatable {
        public var seconds: Int64
        public var nanos: UInt32?
        public init(seconds: Int64, nanos: UInt32? = nil) { self.seconds = seconds; self.nanos = nanos }
    }

    public var type: DataType
    public var data: [UInt8]?
    public var filesize: UInt64?
    public var blocksizes: [UInt64]
    public var hashType: UInt64?
    public var fanout: UInt64?
    public var mode: UInt32?
    public var mtime: Mtime?

    public init(type: DataType, data: [UInt8]? = nil, filesize: UInt64? = nil, blocksizes: [UInt64] = [],
                hashType: UInt64? = nil, fanout: UInt64? = nil, mode: UInt32? = nil, mtime: Mtime? = nil) {
        self.type = type
        self.data = data
        self.filesize = filesize
        self.blocksizes = blocksizes
        self.hashType = hashType
        self.fanout = fanout
        self.mode = mode
        self.mtime = mtime
    }

    /// Fields in field-number order; blocksizes unpacked (one `0x20 <varint>` each), as Kubo writes.
    public func encode() -> [UInt8] {
        var w = ProtoWriter(capacity: (data?.count ?? 0) + blocksizes.count * 4 + 16)
        w.varintField(1, type.rawValue)
        if let data { w.bytesField(2, data) }
        if let filesize { w.varintField(3, filesize) }
        for b in blocksizes { w.varintField(4, b) }
        if let hashType { w.varintField(5, hashType) }
        if let fanout { w.varintField(6, fanout) }
        if let mode { w.varintField(7, UInt64(mode)) }
        if let mtime {
            var m = ProtoWriter(capacity: 16)
            m.varintField(1, UInt64(bitPattern: mtime.seconds))
            if let n = mtime.nanos { m.fixed32Field(2, n) }
            w.bytesField(8, m.bytes)
        }
        return w.bytes
    }

    /// Decodes strictly: a Type is required and known, wire types must match; unknown fields are skipped.
    public init(decoding bytes: some Collection<UInt8>) throws(UnixFSError) {
        var r = ProtoReader(ArraySlice(bytes))
        var type: DataType?
        var out = UnixFSData(type: .raw)
        do {
            while !r.atEnd {
                let (field, value) = try r.next()
                switch (field, value) {
                case (1, .varint(let t)):
                    guard let dt = DataType(rawValue: t) else { throw UnixFSError.malformedUnixFS("unknown Type \(t)") }
                    type = dt
                case (2, .bytes(let d)): out.data = Array(d)
                case (3, .varint(let s)): out.filesize = s
                case (4, .varint(let b)): out.blocksizes.append(b)
                case (4, .bytes(let packed)):
                    var pr = ProtoReader(packed)
                    while !pr.atEnd {
                        let v = try ProtoReader.bareVarint(&pr)
                        out.blocksizes.append(v)
                    }
                case (5, .varint(let h)): out.hashType = h
                case (6, .varint(let f)): out.fanout = f
                case (7, .varint(let m)): out.mode = UInt32(truncatingIfNeeded: m)
                case (8, .bytes(let m)):
                    var mr = ProtoReader(m)
                    var mt = Mtime(seconds: 0)
                    while !mr.atEnd {
                        let (f, v) = try mr.next()
                        switch (f, v) {
                        case (1, .varint(let s)): mt.seconds = Int64(bitPattern: s)
                        case (2, .fixed32(let n)): mt.nanos = n
                        default: break
                        }
                    }
                    out.mtime = mt
                case (1...8, _):
                    throw UnixFSError.malformedUnixFS("wrong wire type for field \(field)")
                default:
                    break  // unknown field: allowed by protobuf
                }
            }
        } catch let e as UnixFSError {
            throw e
        } catch let e as ProtoReader.ProtoError {
            throw .malformedUnixFS(e.message)
        } catch {
            throw .malformedUnixFS("\(error)")
        }
        guard let type else { throw .malformedUnixFS("missing Type") }
        out.type = type
        self = out
    }
}

extension ProtoReader {
    /// Reads one key-less varint (packed repeated fields).
    static func bareVarint(_ r: inout ProtoReader) throws(ProtoError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard r.index < r.data.endIndex else { throw ProtoError(message: "truncated packed varint") }
            let b = r.data[r.index]
            r.index += 1
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw ProtoError(message: "packed varint longer than 10 bytes") }
        }
    }
}
