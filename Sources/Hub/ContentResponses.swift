import BlockStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Answers whose body is a file of the store: resolve downloads, git-lfs downloads and the
/// gateway's file bytes share the range handling and the verify-before-send promise.
struct ContentResponses: Sendable {
    let content: ContentStore
    let metrics: HubMetrics
    let logger: Logger

    /// 200 with the whole content, 206 with one range, 416 past the end; HEAD carries the headers only.
    /// `kind` labels the bytes sent in the metrics: file (resolve), lfs, gateway.
    func stream(cid: String, size: Int64, headers base: HTTPFields, _ request: Request, kind: String = "file") -> Response {
        var headers = base
        var status: HTTPResponse.Status = .ok
        var start: Int64 = 0
        var length = size
        switch ByteRange.parse(request.headers[.range], size: size) {
        case .none: break
        case .range(let r):
            status = .partialContent
            start = r.start
            length = r.length
            headers[.contentRange] = "bytes \(r.start)-\(r.end)/\(size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            headers[.xErrorCode] = "RangeNotSatisfiable"
            headers[.contentLength] = "0"
            return Response(status: .rangeNotSatisfiable, headers: headers, body: .init())
        }
        headers[.contentLength] = String(length)
        if request.method == .head || length == 0 {
            return Response(status: status, headers: headers, body: .init())
        }
        let (first, total) = (start, length)
        let metrics = self.metrics
        let body = ResponseBody(contentLength: Int(length)) { writer in
          do {
            // Verified leaf by leaf before sending: a corrupt block throws here, the server closes the
            // connection, and the client sees a body shorter than Content-Length, never a complete 200.
            // Reads run a few leaves ahead; a slow client slows them through the writer.
            try await content.forEachVerifiedBuffer(cid: cid, fileSize: size, offset: first, length: total) { buffer in
                try await writer.write(buffer)
                metrics.sent(buffer.readableBytes, kind: kind)
            }
            try await writer.finish(nil)
          } catch let error as BlockStoreError {
            metrics.downloadStopped(reason: { if case .corrupt = error { return "corrupt_block" } else { return "error" } }())
            logger.error("download of \(cid) (bytes \(first)..<\(first + total)) stopped: \(error)")
            throw error
          } catch {
            metrics.downloadStopped(reason: "error")
            logger.warning("download of \(cid) (bytes \(first)..<\(first + total)) stopped: \(error)")
            throw error
          }
        }
        return Response(status: status, headers: headers, body: body)
    }
}
