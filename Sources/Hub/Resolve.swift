import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import NIOCore

/// A single byte range of a resource of `size` bytes.
struct ByteRange: Equatable {
    var start: Int64
    var end: Int64  // inclusive
    var length: Int64 { end - start + 1 }

    enum Parse: Equatable { case none, range(ByteRange), unsatisfiable }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges or a malformed header: served whole.
    static func parse(_ header: String?, size: Int64) -> Parse {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .none }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .none }
        if parts[0].isEmpty {
            guard let n = Int64(parts[1]), n > 0 else { return .none }
            if size == 0 { return .unsatisfiable }
            return .range(ByteRange(start: max(size - n, 0), end: size - 1))
        }
        guard let start = Int64(parts[0]), start >= 0 else { return .none }
        let end: Int64
        if parts[1].isEmpty { end = size - 1 } else {
            guard let e = Int64(parts[1]), e >= start else { return .none }
            end = min(e, size - 1)
        }
        if start >= size { return .unsatisfiable }
        return .range(ByteRange(start: start, end: end))
    }
}

extension HubServer {
    /// `HEAD|GET /{P}{ns}/{name}/resolve/{rev}/{path}`.
    func resolve(_ type: RepoType, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        do {
            let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
            let rest = context.parameters.getCatchAll()
            let caller = try await caller(request)
            let repo = try await readableRepo(type, ns, name, caller: caller)
            guard let revPart = rest.first else { throw HubError.revisionNotFound("") }
            let commit = try await resolveRevision(repo, decoded(revPart))
            let path = rest.dropFirst().map(decoded).joined(separator: "/")
            guard !path.isEmpty, let file = try await database.file(commitID: commit.id, path: path) else {
                throw HubError.entryNotFound(path, commit: commit.id)
            }
            return try fileResponse(file, commit: commit.id, request)
        } catch {
            throw HubError.from(error)
        }
    }

    func fileResponse(_ file: FileRecord, commit: String?, _ request: Request) throws -> Response {
        var headers = HTTPFields()
        if let commit { headers[.xRepoCommit] = commit }
        let etag = file.isLFS ? file.sha256 : file.gitOID
        headers[.eTag] = "\"\(etag)\""
        if file.isLFS {
            headers[.xLinkedEtag] = "\"\(file.sha256)\""
            headers[.xLinkedSize] = String(file.size)
        }
        headers[.xIPFSCID] = file.cid
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = "application/octet-stream"
        headers[.cacheControl] = "private, max-age=0, must-revalidate"
        let filename = file.path.split(separator: "/").last.map(String.init) ?? file.path
        let safeName = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file"
        headers[.contentDisposition] = "inline; filename*=UTF-8''\(safeName)"
        return streamResponse(cid: file.cid, size: file.size, headers: headers, request)
    }

    /// 200 with the whole content, 206 with one range, 416 past the end; HEAD carries the headers only.
    func streamResponse(cid: String, size: Int64, headers base: HTTPFields, _ request: Request) -> Response {
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
        let content = self.content
        let (first, total) = (start, length)
        let body = ResponseBody(contentLength: Int(length)) { writer in
            // One exporter read per segment, written before the next is read: memory stays bounded
            // and a slow client slows the reads.
            var position = first
            let end = first + total
            while position < end {
                let n = min(ContentStore.segmentSize, end - position)
                try await writer.write(try content.read(cid: cid, offset: position, length: n))
                position += n
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }
}
