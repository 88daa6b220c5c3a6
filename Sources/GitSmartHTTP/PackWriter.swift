import Crypto

/// Writes a version-2 pack: "PACK", version, object count, then one entry per
/// object (type/size varint header + zlib stream), then the SHA-1 of all of
/// that. We never write deltas: clients accept undeltified packs, and the hub's
/// content-addressed store already deduplicates, so the saving is only on the
/// wire.
public struct PackWriter {
    private var buffer: [UInt8] = []
    private var hasher = Insecure.SHA1()
    private let expectedCount: UInt32
    private var written: UInt32 = 0

    /// The count must be known up front because it is in the header.
    public init(objectCount: Int) {
        precondition(objectCount >= 0 && objectCount <= Int(UInt32.max))
        expectedCount = UInt32(objectCount)
        var header = Array("PACK".utf8)
        header += bigEndian(2)
        header += bigEndian(expectedCount)
        emit(header)
    }

    public mutating func append(_ object: GitObject) {
        precondition(written < expectedCount, "more objects than declared")
        written += 1
        emit(PackEntryHeader.encode(type: object.type.rawValue, size: object.data.count))
        emit(Zlib.compress(object.data))
    }

    /// Drains what has been written so far (so a caller can stream a large
    /// pack out in side-band chunks instead of holding it whole).
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    /// Appends the trailer and returns the remaining bytes.
    public mutating func finish() -> [UInt8] {
        precondition(written == expectedCount, "fewer objects than declared")
        let digest = Array(hasher.finalize())
        buffer += digest
        return takeBytes()
    }

    private mutating func emit(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
        buffer += bytes
    }

    /// Convenience: a complete pack of the given objects.
    public static func pack(_ objects: [GitObject]) -> [UInt8] {
        var w = PackWriter(objectCount: objects.count)
        var out = [UInt8]()
        for o in objects {
            w.append(o)
            out += w.takeBytes()
        }
        return out + w.finish()
    }
}

package func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
}

/// Pack entry type numbers beyond the four object types.
package enum PackEntryType {
    package static let ofsDelta: UInt8 = 6
    package static let refDelta: UInt8 = 7
}

package enum PackEntryHeader {
    /// First byte: continuation bit, 3 type bits, low 4 size bits; then 7 size
    /// bits per byte, least significant group first.
    package static func encode(type: UInt8, size: Int) -> [UInt8] {
        var s = UInt64(size)
        var first = (type << 4) | UInt8(s & 0x0F)
        s >>= 4
        var out: [UInt8] = []
        if s != 0 { first |= 0x80 }
        out.append(first)
        while s != 0 {
            var b = UInt8(s & 0x7F)
            s >>= 7
            if s != 0 { b |= 0x80 }
            out.append(b)
        }
        return out
    }
}
