import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.1 server on 127.0.0.1 for driving the real git
/// client in tests and by hand: one thread per connection, one request per
/// connection ("Connection: close"), Content-Length or chunked request
/// bodies. Not for production; the hub uses its own HTTP stack.
public final class MiniHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [String: String]
        public var headers: [String: String]   // lowercased names
        public var body: [UInt8]
    }
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public init(status: Int, headers: [String: String], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }
    public typealias Handler = @Sendable (Request) async -> Response

    private let listenFD: Int32
    public let port: UInt16
    private let handler: Handler

    /// Listens on 127.0.0.1:`port` (0 picks a free port; see `port`).
    public init(port requestedPort: UInt16 = 0, handler: @escaping Handler) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = requestedPort.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listenFD = fd
        port = UInt16(bigEndian: bound.sin_port)
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    public func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    private func acceptLoop() {
        while true {
            let c = accept(listenFD, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return  // listening socket closed
            }
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var conn = Connection(fd: fd)
        guard let req = conn.readRequest() else { return }
        // Bridge to async: this is a plain thread, not a cooperative one, so
        // blocking it on a semaphore cannot starve Swift concurrency.
        let box = ResponseBox()
        let sem = DispatchSemaphore(value: 0)
        let h = handler
        Task {
            box.value = await h(req)
            sem.signal()
        }
        sem.wait()
        let resp = box.value!
        var head = "HTTP/1.1 \(resp.status) \(resp.status == 200 ? "OK" : "Status")\r\n"
        for (k, v) in resp.headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(resp.body.count)\r\nConnection: close\r\n\r\n"
        conn.write(Array(head.utf8) + resp.body)
    }

    private final class ResponseBox: @unchecked Sendable { var value: Response? }

    private struct Connection {
        let fd: Int32
        var buf: [UInt8] = []

        init(fd: Int32) { self.fd = fd }

        mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return false }
            buf += chunk[0..<n]
            return true
        }

        mutating func readLine() -> String? {
            while true {
                if let i = buf.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(buf[..<i])
                    buf.removeSubrange(...i)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                if !fill() { return nil }
            }
        }

        mutating func readExactly(_ n: Int) -> [UInt8]? {
            while buf.count < n { if !fill() { return nil } }
            let out = Array(buf[..<n])
            buf.removeSubrange(..<n)
            return out
        }

        mutating func readRequest() -> Request? {
            guard let start = readLine() else { return nil }
            let parts = start.split(separator: " ")
            guard parts.count >= 2 else { return nil }
            var headers: [String: String] = [:]
            while let line = readLine(), !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            if headers["expect"]?.lowercased() == "100-continue" {
                write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            var body: [UInt8] = []
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                while let sizeLine = readLine() {
                    let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
                    if size == 0 {
                        while let trailer = readLine(), !trailer.isEmpty {}
                        break
                    }
                    guard let chunk = readExactly(size) else { return nil }
                    body += chunk
                    _ = readLine()
                }
            } else if let len = headers["content-length"].flatMap(Int.init), len > 0 {
                guard let b = readExactly(len) else { return nil }
                body = b
            }
            let target = String(parts[1])
            var path = target
            var query: [String: String] = [:]
            if let q = target.firstIndex(of: "?") {
                path = String(target[..<q])
                for pair in target[target.index(after: q)...].split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    let k = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                    let v = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
                    query[k] = v
                }
            }
            return Request(method: String(parts[0]), path: path, query: query, headers: headers, body: body)
        }

        func write(_ bytes: [UInt8]) {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                off += n
            }
        }
    }
}
