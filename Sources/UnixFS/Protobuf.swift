import Multiformats

/// Minimal protobuf wire-format reading and writing, enough for dag-pb and UnixFS Data.
/// Written by hand so the byte layout (field order, always-written fields) is exactly Kubo's.
struct ProtoWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func varintField(_ field: UInt64, _ value: UInt64) {
        Varint.encode(field << 3, into: &bytes)
        Varint.encode(value, into: &bytes)
    }

    mutating func bytesField(_ field: UInt64, _ value: some Collection<UInt8>) {
        Varint.encode(field << 3 | 2, into: &bytes)
        Varint.encode(UInt64(value.count), into: &bytes)
        bytes.append(contentsOf: value)
    }

    mutating func fixed32Field(_ field: UInt64, _ value: UInt32) {
        Varint.encode(field << 3 | 5, into: &bytes)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Length of a `bytesField` carrying `length` bytes (tag of a small field number included).
    static func bytesFieldLength(_ length: Int) -> Int {
        1 + Varint.encodedLength(UInt64(length)) + length
    }
}

/// A reader over one protobuf message; every malformation becomes `ProtoError`.
struct ProtoReader {
    enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
        case fixed64(UInt64)
    }

    struct ProtoError: Error { let message: String }

    let data: ArraySlice<UInt8>
    var index: Int

    init(_ data: ArraySlice<UInt8>) {
        self.data = data
        index = data.startIndex
    }

    var atEnd: Bool { index >= data.endIndex }

    /// The next field's number and value.
    mutating func next() throws(ProtoError) -> (field: UInt64, value: Value) {
        let key = try varint()
        let field = key >> 3
        guard field > 0 else { throw ProtoError(message: "field number 0") }
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 2:
            let n = try varint()
            guard n <= UInt64(data.endIndex - index) else {
                throw ProtoError(message: "field \(field) claims \(n) bytes, only \(data.endIndex - index) remain")
            }
            let slice = data[index..<(index + Int(n))]
            index += Int(n)
            return (field, .bytes(slice))
        case 5:
            guard data.endIndex - index >= 4 else { throw ProtoError(message: "truncated fixed32") }
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(data[index + k]) << (8 * k) }
            index += 4
            return (field, .fixed32(v))
        case 1:
            guard data.endIndex - index >= 8 else { throw ProtoError(message: "truncated fixed64") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(data[index + k]) << (8 * k) }
            index += 8
            return (field, .fixed64(v))
        default:
            throw ProtoError(message: "unsupported wire type \(key & 7) for field \(field)")
        }
    }

    private mutating func varint() throws(ProtoError) -> UInt64 {
        // Protobuf varints may be non-minimal, so this is not Multiformats' strict decoder.
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < data.endIndex else { throw ProtoError(message: "truncated varint") }
            let b = data[index]
            index += 1
            if shift == 63 && b > 1 { throw ProtoError(message: "varint overflows 64 bits") }
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw ProtoError(message: "varint longer than 10 bytes") }
        }
    }
}
