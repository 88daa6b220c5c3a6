/// Unsigned LEB128 varints, as multiformats use them for every code and length prefix.
public enum Varint {
    /// Appends `value` to `out` (7 bits per byte, low bits first).
    @inlinable
    public static func encode(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inlinable
    public static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10)
        encode(value, into: &out)
        return out
    }

    /// The number of bytes `encode` writes for `value`.
    @inlinable
    public static func encodedLength(_ value: UInt64) -> Int {
        var n = 1
        var v = value >> 7
        while v != 0 { n += 1; v >>= 7 }
        return n
    }

    /// Decodes one varint starting at `index`; returns the value and the index after it.
    /// Rejects truncation, values beyond 63 bits and non-minimal encodings (multiformats rule).
    @inlinable
    public static func decode<C: Collection<UInt8>>(_ bytes: C, at index: C.Index) throws(MultiformatsError) -> (value: UInt64, next: C.Index) {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = index
        while true {
            guard i < bytes.endIndex else { throw .varintTruncated }
            let b = bytes[i]
            i = bytes.index(after: i)
            if shift == 63 && b > 0 { throw .varintOverflow }
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 { throw .varintNotMinimal }
                return (value, i)
            }
            shift += 7
            if shift > 63 { throw .varintOverflow }
        }
    }
}
