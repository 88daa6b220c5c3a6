import BlockStore
import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import NIOCore
import HTTPSupport
import Primitives

/// A single byte range of a resource of `size` bytes.
package struct ByteRange: Equatable {
    package var start: Int64
    package var end: Int64  // inclusive
    package var length: Int64 { end - start + 1 }

    package enum Parse: Equatable { case none, range(ByteRange), unsatisfiable }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges or a malformed header: served whole.
    package static func parse(_ header: String?, size: Int64) -> Parse {
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

/// `HEAD|GET /{P}{ns}/{name}/resolve/{rev}/{path}`: a repo file's bytes, with HF's headers.
struct ResolveController: Sendable {
    let database: HubDatabase
    let downloads: FileDownloads

    /// `router`: the Bearer-authenticated API group. A repo that is not here goes to `fallback`.
    func addRoutes(to router: HubRouter, fallback: FallbackController) {
        for type in RepoType.allCases {
            let prefix = type == .model ? "" : "/\(type.plural)"
            let group = router.group().add(middleware: fallback.middleware(type, .resolve))
            for method in [HTTPRequest.Method.get, .head] {
                group.on("\(prefix)/:ns/:name/resolve/**", method: method) { req, ctx in try await resolve(type, req, ctx) }
            }
        }
    }

    func resolve(_ type: RepoType, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        do {
            let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
            let rest = context.parameters.getCatchAll()
            let caller = context.caller
            let revision = rest.first.map(decoded).flatMap { $0.isEmpty ? nil : $0 } ?? "main"
            let path = rest.dropFirst().map(decoded).joined(separator: "/")
            // One statement for repo, revision and file: this is the per-file cost of every download.
            guard let found = try await database.resolveFile(type: type, namespace: ns, name: name, revision: revision, path: path),
                  caller.canRead(found.repo) else {
                throw HubError.repoNotFound("\(ns)/\(name)")
            }
            guard let commit = found.commit else { throw HubError.revisionNotFound(revision) }
            guard !path.isEmpty, let file = found.file else { throw HubError.entryNotFound(path, commit: commit.id) }
            return try await downloads.response(file, commit: commit.id, request)
        } catch {
            throw HubError.from(error)
        }
    }
}

/// A repo file as a download: the hub's own files and the fallback's mirrored copies.
struct FileDownloads: Sendable {
    let placement: ContentPlacement
    let responses: ContentResponses

    /// HF's file headers (ETag, the linked ETag and size of LFS files, the commit), then the bytes,
    /// brought from the store backend first when this machine lacks them.
    func response(_ file: FileRecord, commit: String?, _ request: Request) async throws -> Response {
        if request.method == .get { try await placement.ensureLocal(file.cid) }
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
        let safeName = PercentEncoding.encode(filename)
        headers[.contentDisposition] = "inline; filename*=UTF-8''\(safeName)"
        return responses.stream(cid: file.cid, size: file.size, headers: headers, request)
    }
}
