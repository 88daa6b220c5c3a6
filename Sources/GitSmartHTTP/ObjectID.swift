import Crypto
import Primitives

/// A SHA-1 git object id (20 bytes). Stored as two words plus an int so that
/// it is a cheap, hashable value type rather than a heap-allocated array.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let byteCount = 20
    public static let hexLength = 40

    /// The all-zero id git uses for "no object" (ref creation/deletion).
    public static let zero = ObjectID(uncheckedBytes: [UInt8](repeating: 0, count: 20))

    private let a: UInt64
    private let b: UInt64
    private let c: UInt32

    /// Builds an id from exactly 20 raw bytes; returns nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == ObjectID.byteCount else { return nil }
        self.init(uncheckedBytes: Array(bytes))
    }

    private init(uncheckedBytes raw: [UInt8]) {
        var x: UInt64 = 0, y: UInt64 = 0, z: UInt32 = 0
        for i in 0..<8 { x = (x << 8) | UInt64(raw[i]) }
        for i in 8..<16 { y = (y << 8) | UInt64(raw[i]) }
        for i in 16..<20 { z = (z << 8) | UInt32(raw[i]) }
        a = x; b = y; c = z
    }

    /// Parses 40 lowercase or uppercase hex digits.
    public init?<S: StringProtocol>(hex: S) {
        let utf8 = Array(hex.utf8)
        guard let id = ObjectID(hexBytes: utf8[...]) else { return nil }
        self = id
    }

    /// Parses 40 hex digits given as ASCII bytes (used by the protocol parsers,
    /// which work on bytes and should not round-trip through String).
    public init?(hexBytes: ArraySlice<UInt8>) {
        guard hexBytes.count == ObjectID.hexLength else { return nil }
        var raw = [UInt8](repeating: 0, count: 20)
        var idx = hexBytes.startIndex
        for i in 0..<20 {
            guard let hi = hexValue(hexBytes[idx]), let lo = hexValue(hexBytes[idx + 1]) else { return nil }
            raw[i] = hi << 4 | lo
            idx += 2
        }
        self.init(uncheckedBytes: raw)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: a >> (56 - 8 * UInt64(i))) }
        for i in 0..<8 { out[8 + i] = UInt8(truncatingIfNeeded: b >> (56 - 8 * UInt64(i))) }
        for i in 0..<4 { out[16 + i] = UInt8(truncatingIfNeeded: c >> (24 - 8 * UInt32(i))) }
        return out
    }

    public var hex: String {
        String(decoding: hexASCII, as: UTF8.self)
    }

    /// The 40 hex digits as ASCII bytes, for writing into protocol buffers.
    public var hexASCII: [UInt8] {
        Hex.asciiDigits(bytes)
    }

    public var isZero: Bool { a == 0 && b == 0 && c == 0 }
    public var description: String { hex }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        (lhs.a, lhs.b, lhs.c) < (rhs.a, rhs.b, rhs.c)
    }

    /// SHA-1 of arbitrary bytes (used for object ids and pack trailers).
    public static func sha1<C: Collection>(of data: C) -> ObjectID where C.Element == UInt8 {
        var hasher = Insecure.SHA1()
        // Hash in place when the collection is contiguous (arrays, slices);
        // copy only for exotic collections.
        let hashedInPlace = data.withContiguousStorageIfAvailable { buf in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buf))
        } != nil
        if !hashedInPlace { hasher.update(data: Array(data)) }
        return ObjectID(bytes: Array(hasher.finalize()))!
    }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
