import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `multipart/form-data` body read from a spooled file (memory-mapped, so a large upload is
/// never copied whole into memory), as Kubo's `add`, `block/put` and `dag/import` receive it.
package struct MultipartBody {
    package struct Part {
        package var headers: [String: String]
        package var body: Range<Int>

        /// The `filename` of Content-Disposition, percent-decoded (Kubo escapes `/` as `%2F`).
        package var filename: String? {
            guard let cd = headers["content-disposition"] else { return nil }
            for item in cd.split(separator: ";") {
                let kv = item.trimmingCharacters(in: .whitespaces)
                if kv.hasPrefix("filename=") {
                    var v = String(kv.dropFirst("filename=".count))
                    if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                    return v.removingPercentEncoding ?? v
                }
            }
            return nil
        }
        package var isDirectory: Bool { headers["content-type"]?.hasPrefix("application/x-directory") == true }
    }

    package let data: Data
    package let parts: [Part]

    package static func boundary(fromContentType ct: String?) -> String? {
        guard let ct, ct.lowercased().hasPrefix("multipart/") else { return nil }
        for item in ct.split(separator: ";") {
            let kv = item.trimmingCharacters(in: .whitespaces)
            if kv.lowercased().hasPrefix("boundary=") {
                var v = String(kv.dropFirst("boundary=".count))
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                return v.isEmpty ? nil : v
            }
        }
        return nil
    }

    package init(file: String, boundary: String) throws {
        data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        parts = try Self.parse(data, boundary: boundary)
    }

    private static func find(_ needle: [UInt8], in data: Data, from: Int) -> Int? {
        guard from <= data.count else { return nil }
        return data.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress else { return nil }
            return needle.withUnsafeBytes { n -> Int? in
                // memchr for the first byte, memcmp for the rest (glibc's memmem needs _GNU_SOURCE).
                let first = Int32(needle[0])
                var start = from
                while start + needle.count <= raw.count {
                    guard let hit = memchr(base + start, first, raw.count - start - needle.count + 1) else { return nil }
                    let offset = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + offset, n.baseAddress!, needle.count) == 0 { return offset }
                    start = offset + 1
                }
                return nil
            }
        }
    }

    private static func parse(_ data: Data, boundary: String) throws -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        let nextDelimiter = Array("\r\n--\(boundary)".utf8)
        guard var pos = find(delimiter, in: data, from: 0) else { throw KuboRPCError.client("multipart body has no boundary") }
        pos += delimiter.count
        var parts: [Part] = []
        while true {
            guard pos + 2 <= data.count else { throw KuboRPCError.client("multipart body ends early") }
            let a = data[data.startIndex + pos], b = data[data.startIndex + pos + 1]
            if a == UInt8(ascii: "-") && b == UInt8(ascii: "-") { break }
            guard let lineEnd = find(Array("\r\n".utf8), in: data, from: pos) else { throw KuboRPCError.client("malformed multipart part") }
            pos = lineEnd + 2
            var headers: [String: String] = [:]
            let bodyStart: Int
            if pos + 2 <= data.count, data[data.startIndex + pos] == 13, data[data.startIndex + pos + 1] == 10 {
                bodyStart = pos + 2  // a part without headers
            } else {
                guard let headerEnd = find(Array("\r\n\r\n".utf8), in: data, from: pos) else {
                    throw KuboRPCError.client("malformed multipart headers")
                }
                let text = String(decoding: data[data.startIndex + pos ..< data.startIndex + headerEnd], as: UTF8.self)
                for line in text.components(separatedBy: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                bodyStart = headerEnd + 4
            }
            guard let bodyEnd = find(nextDelimiter, in: data, from: bodyStart) else { throw KuboRPCError.client("multipart part is not terminated") }
            parts.append(Part(headers: headers, body: bodyStart ..< bodyEnd))
            pos = bodyEnd + nextDelimiter.count
        }
        return parts
    }

    package func bytes(_ p: Part) -> Data { data.subdata(in: data.startIndex + p.body.lowerBound ..< data.startIndex + p.body.upperBound) }

    /// Writes a part's body to `path` in 1 MiB pieces.
    func write(_ p: Part, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let fh = FileHandle(forWritingAtPath: path) else {
            throw KuboRPCError.server("cannot write \(path)")
        }
        defer { try? fh.close() }
        var off = p.body.lowerBound
        while off < p.body.upperBound {
            let end = min(off + (1 << 20), p.body.upperBound)
            try fh.write(contentsOf: data[data.startIndex + off ..< data.startIndex + end])
            off = end
        }
    }
}
