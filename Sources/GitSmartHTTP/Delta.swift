/// Applies git's delta format: two size varints (base, result) then a stream
/// of instructions, each either "copy <offset,size> from the base" (high bit
/// set) or "insert the next N literal bytes" (1...127). Every bound is checked
/// because the delta comes from the network.
package enum Delta {
    package enum Failure: Error, Equatable {
        case truncated
        case baseSizeMismatch
        case resultTooLarge
        case copyOutOfBounds
        case reservedOpcode
        case resultSizeMismatch
    }

    /// Reads the declared result size without applying (to check limits
    /// before allocating).
    package static func resultSize(_ delta: [UInt8]) throws(Failure) -> Int {
        var i = 0
        _ = try varint(delta, &i)
        return try varint(delta, &i)
    }

    package static func apply(_ delta: [UInt8], to base: [UInt8], maxResult: Int) throws(Failure) -> [UInt8] {
        var i = 0
        let baseSize = try varint(delta, &i)
        guard baseSize == base.count else { throw .baseSizeMismatch }
        let resultSize = try varint(delta, &i)
        guard resultSize <= maxResult else { throw .resultTooLarge }
        var out = [UInt8]()
        // Reserve only what is cheap; a lying header must not make us
        // allocate gigabytes up front.
        out.reserveCapacity(min(resultSize, 1 << 24))
        while i < delta.count {
            let op = delta[i]
            i += 1
            if op & 0x80 != 0 {
                // Offset and size bytes are present only when their bit is set.
                var offset = 0, size = 0
                for bit in 0..<4 where op & (1 << bit) != 0 {
                    guard i < delta.count else { throw .truncated }
                    offset |= Int(delta[i]) << (8 * bit)
                    i += 1
                }
                for bit in 0..<3 where op & (0x10 << bit) != 0 {
                    guard i < delta.count else { throw .truncated }
                    size |= Int(delta[i]) << (8 * bit)
                    i += 1
                }
                if size == 0 { size = 0x10000 }
                guard offset + size <= base.count else { throw .copyOutOfBounds }
                guard out.count + size <= resultSize else { throw .resultSizeMismatch }
                out.append(contentsOf: base[offset..<(offset + size)])
            } else if op != 0 {
                let n = Int(op)
                guard i + n <= delta.count else { throw .truncated }
                guard out.count + n <= resultSize else { throw .resultSizeMismatch }
                out.append(contentsOf: delta[i..<(i + n)])
                i += n
            } else {
                throw .reservedOpcode
            }
        }
        guard out.count == resultSize else { throw .resultSizeMismatch }
        return out
    }

    /// Little-endian base-128 size; capped at 56 bits so a hostile varint
    /// cannot overflow Int.
    private static func varint(_ d: [UInt8], _ i: inout Int) throws(Failure) -> Int {
        var result = 0, shift = 0
        while true {
            guard i < d.count else { throw .truncated }
            let b = d[i]
            i += 1
            result |= Int(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            guard shift <= 56 else { throw .resultTooLarge }
        }
    }
}
