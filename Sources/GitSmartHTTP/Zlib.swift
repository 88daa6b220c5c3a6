import CZlib

public enum ZlibError: Error, Equatable, Sendable {
    /// The compressed stream is corrupt or truncated.
    case corrupt(String)
    /// Inflated data does not have the size the container declared.
    case sizeMismatch(expected: Int, actual: Int)
    case outputTooLarge(limit: Int)
}

/// Thin wrappers over zlib. Pack entries are zlib streams laid end to end
/// with no length prefix, so inflation must also report how many input bytes
/// the stream consumed: that is where the next entry starts.
package enum Zlib {
    package static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var bound = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                compress2(o.baseAddress, &bound, i.baseAddress, uLong(input.count), level)
            }
        }
        // compress2 only fails on out-of-memory or a bad level with a
        // compressBound-sized buffer; neither is recoverable here.
        precondition(rc == Z_OK, "zlib compress2 failed: \(rc)")
        out.removeSubrange(Int(bound)...)
        return out
    }

    /// Inflates one zlib stream starting at `input.startIndex`, which must
    /// produce exactly `expectedSize` bytes. Returns the output and the number
    /// of compressed bytes consumed.
    package static func inflate(_ input: ArraySlice<UInt8>, expectedSize: Int) throws(ZlibError) -> (output: [UInt8], consumed: Int) {
        var strm = z_stream()
        guard czlib_inflateInit(&strm) == Z_OK else { throw .corrupt("inflateInit failed") }
        defer { inflateEnd(&strm) }
        // The output buffer grows as needed instead of being sized from the
        // declared length, which is attacker-controlled. One byte beyond
        // `expectedSize` is allowed so an over-long stream is detected rather
        // than silently truncated. Deflate cannot expand more than ~1032:1, so
        // a declared size beyond that of the remaining input is impossible.
        if expectedSize > input.count &* 1100 &+ 64 { throw .sizeMismatch(expected: expectedSize, actual: -1) }
        let limit = expectedSize + 1
        var out = [UInt8](repeating: 0, count: min(limit, max(4096, input.count * 4)))
        var rc: Int32 = Z_OK
        var produced = 0
        var consumed = 0
        input.withUnsafeBufferPointer { inBuf in
            strm.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            strm.avail_in = uInt(clamping: inBuf.count)
            while true {
                if produced == out.count {
                    if out.count >= limit { rc = Z_BUF_ERROR; break }
                    out += [UInt8](repeating: 0, count: min(limit - out.count, out.count))
                }
                out.withUnsafeMutableBufferPointer { outBuf in
                    strm.next_out = outBuf.baseAddress! + produced
                    strm.avail_out = uInt(clamping: outBuf.count - produced)
                    let before = strm.avail_out
                    rc = CZlib.inflate(&strm, Z_NO_FLUSH)
                    produced += Int(before - strm.avail_out)
                }
                consumed = Int(strm.total_in)
                if rc != Z_OK { break }
                if strm.avail_in == 0 {
                    // avail_in is 32-bit: refill if more than 4 GiB remained.
                    if consumed < inBuf.count {
                        strm.avail_in = uInt(clamping: inBuf.count - consumed)
                    } else if produced < out.count {
                        rc = Z_BUF_ERROR  // input exhausted mid-stream
                        break
                    }
                }
            }
        }
        switch rc {
        case Z_STREAM_END:
            guard produced == expectedSize else { throw .sizeMismatch(expected: expectedSize, actual: produced) }
            out.removeSubrange(produced...)
            return (out, consumed)
        case Z_BUF_ERROR:
            if produced > expectedSize { throw .sizeMismatch(expected: expectedSize, actual: produced) }
            throw .corrupt("truncated stream")
        default:
            throw .corrupt(strm.msg.map { String(cString: $0) } ?? "inflate error \(rc)")
        }
    }

    /// Decompresses a whole gzip (or zlib) body of unknown size, refusing to
    /// grow past `limit`: git gzips large upload-pack requests.
    package static func gunzip(_ input: [UInt8], limit: Int) throws(ZlibError) -> [UInt8] {
        var strm = z_stream()
        // 15 + 32: accept both gzip and zlib headers (auto-detect).
        guard czlib_inflateInit2(&strm, 15 + 32) == Z_OK else { throw .corrupt("inflateInit failed") }
        defer { inflateEnd(&strm) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var rc: Int32 = Z_OK
        input.withUnsafeBufferPointer { inBuf in
            strm.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            strm.avail_in = uInt(clamping: inBuf.count)
            repeat {
                let got: Int = chunk.withUnsafeMutableBufferPointer { c in
                    strm.next_out = c.baseAddress
                    strm.avail_out = uInt(c.count)
                    rc = CZlib.inflate(&strm, Z_NO_FLUSH)
                    return c.count - Int(strm.avail_out)
                }
                result.append(contentsOf: chunk[0..<got])
                if result.count > limit { rc = Z_MEM_ERROR; break }
                if rc == Z_OK && got == 0 && strm.avail_in == 0 { rc = Z_BUF_ERROR }
            } while rc == Z_OK
        }
        if result.count > limit { throw .outputTooLarge(limit: limit) }
        guard rc == Z_STREAM_END else { throw .corrupt("bad gzip body (\(rc))") }
        return result
    }
}
