import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Multiformats
import HubDatabase
import NIOCore
import NIOHTTP1
import Primitives
import HTTPSupport

/// The external-source fallback's face: reads of repos that are not here (through
/// `FallbackMiddleware`), the metadata proxy, pull-through downloads (PullThrough.swift), merged
/// listings, user profiles, and the admin API of the sources. The service itself is set up later
/// (`HubServer.enableFallback`), so the controller holds its slot and asks it per request.
struct FallbackController: Sendable {
    let slot: FallbackSlot
    let database: HubDatabase
    let content: ContentStore
    /// Mirrored copies are served like the hub's own files.
    let downloads: FileDownloads
    let origin: HubOrigin
    /// The node's pinned roots: their blocks are never removed with an evicted mirror copy.
    let pinnedRoots: @Sendable () -> [CID]
    let metrics: HubMetrics
    let logger: Logger

    /// `router`: the Bearer-authenticated API group.
    func addRoutes(to router: HubRouter) {
        addUserRoutes(to: router)
        addAdminRoutes(to: router)
    }

    /// For the group of one repo type's API (`.api`) or resolve (`.resolve`) routes.
    func middleware(_ type: RepoType, _ routes: FallbackMiddleware.Routes) -> FallbackMiddleware {
        FallbackMiddleware(fallback: self, type: type, routes: routes)
    }

    /// The fallback service if this request may fall back (enabled, not `?fallback=false`).
    func service(for request: Request) -> FallbackService? {
        guard let service = slot.service, service.settings.enabled else { return nil }
        if let flag = request.uri.queryParameters["fallback"], ["false", "0", "no"].contains(flag.lowercased()) { return nil }
        return service
    }

    /// Whether a local RepoNotFound should enter the chain: the repo really is absent here (not merely private),
    /// and the allow/deny patterns let it be mirrored.
    func mayFallBack(_ service: FallbackService, _ type: RepoType, _ ns: String, _ name: String) async -> Bool {
        guard !ns.isEmpty, !name.isEmpty, service.settings.patterns.permits("\(ns)/\(name)"),
              !service.candidates(namespace: ns).isEmpty else { return false }
        // A database that cannot answer is not an absent repo: falling back then could shadow a local
        // (possibly private) repo with an external one, so the request fails instead.
        do { return try await database.repo(type: type, namespace: ns, name: name) == nil } catch {
            logger.error("fallback for \(ns)/\(name) not tried: the database could not say whether the repo exists here: \(error)")
            return false
        }
    }

    /// `/api/{t}/{ns}/{name}[/...]` of a repo not here: repo info, revision info, tree and paths-info
    /// fall back; anything else keeps the local answer, `notHere`.
    func api(_ type: RepoType, _ request: Request, parts: [Substring], notHere: HubError) async throws -> Response {
        guard parts.count >= 2, let service = service(for: request) else { throw notHere }
        let ns = decoded(parts[0]), name = decoded(parts[1])
        let rest = parts.dropFirst(2).map(decoded)
        let op = rest.first ?? ""
        let isRead: Bool
        switch (request.method, op) {
        case (.get, ""), (.head, ""), (.get, "revision"), (.head, "revision"), (.get, "tree"), (.post, "paths-info"): isRead = true
        default: isRead = false
        }
        guard isRead, await mayFallBack(service, type, ns, name) else { throw notHere }
        return try await metadata(service, type, ns, name, rest: rest, request)
    }

    /// `HEAD|GET /{P}{ns}/{name}/resolve/{rev}/{path}` of a repo not here.
    func resolve(_ type: RepoType, _ request: Request, _ context: HubRequestContext, notHere: HubError) async throws -> Response {
        guard let service = service(for: request) else { throw notHere }
        let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
        let rest = context.parameters.getCatchAll()
        guard let revPart = rest.first, rest.count >= 2, await mayFallBack(service, type, ns, name) else { throw notHere }
        let path = rest.dropFirst().map(decoded).joined(separator: "/")
        try validateRepoPath(path)
        do {
            return try await resolve(service, type, ns, name, revision: decoded(revPart), path: path, request)
        } catch let error as HubError {
            throw error
        } catch {
            // Anything else is a bug or an engine failure: say what it was instead of a bare 500.
            logger.error("fallback resolve of \(ns)/\(name)/\(path): \(String(reflecting: error))")
            throw HubError.from(error)
        }
    }

    // MARK: metadata

    func metadata(_ service: FallbackService, _ type: RepoType, _ ns: String, _ name: String,
                          rest: [String], _ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        var body: ByteBuffer?
        if request.method == .post { body = try await HubRequestBody.collect(request, limit: HubRequestBody.maxJSON) }
        // Query without our own `fallback` flag; the rest travels as is so `Link` pages keep every parameter.
        let query = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("fallback=") }.joined(separator: "&")
        let subpath = rest.enumerated().map { i, part -> String in
            // tree/{rev}/{path}: the revision is one encoded segment, the path keeps its slashes.
            if rest.first == "tree" && i > 1 { return PercentEncoding.encodePath(part) }
            return PercentEncoding.encode(part)
        }.joined(separator: "/")
        var key = "\(request.method.rawValue) \(subpath)?\(query)"
        if let body { key += " " + Hex.encode(SHA256.hash(data: Array(body.readableBytesView))) }

        let source: FallbackSource
        switch await service.bind(type, ns, name) {
        case .failed(let failure):
            if failure.cause == .unavailable, let stored = try? await service.database.mirroredResponse(type: type, namespace: ns, name: name, key: key) {
                return storedResponse(stored, request, started: started)
            }
            throw failure
        case .bound(let s): source = s
        }
        let url = SourceURLs.api(source, type, ns, name) + (subpath.isEmpty ? "" : "/" + subpath) + (query.isEmpty ? "" : "?" + query)
        let reply: UpstreamReply
        do {
            reply = try await service.upstream.fetch(HTTPMethod(rawValue: request.method.rawValue), url, source: source, body: body,
                                                     contentType: request.headers[.contentType])
        } catch {
            if let stored = try? await service.database.mirroredResponse(type: type, namespace: ns, name: name, key: key) {
                return storedResponse(stored, request, started: started)
            }
            throw HubError(.badGateway, code: .badGateway, "\(source.name) (\(source.url)) could not be reached: \(error)")
        }
        guard (200..<300).contains(reply.status) else {
            if reply.status >= 500, let stored = try? await service.database.mirroredResponse(type: type, namespace: ns, name: name, key: key) {
                return storedResponse(stored, request, started: started)
            }
            throw FallbackService.passOn(reply, source)
        }
        var data = Data(reply.body.readableBytesView)
        // An object gets the source named in it; any other JSON (a list, a scalar) passes as it came.
        if var object = try? JSONDecoder().decode([String: JSONValue].self, from: data) {
            object["_source"] = .string(source.name)
            object["_source_url"] = .string(source.url)
            data = (try? Self.passOnEncoder.encode(object)) ?? data
            // Remember what a revision names, so files of it can be served when the source is gone.
            let op = rest.first ?? ""
            if let sha = object["sha"]?.string, Hex.isLowercase(sha, count: 40), op == "" || op == "revision" {
                let rev = op == "" ? "main" : rest.dropFirst().joined(separator: "/")
                try? await service.database.recordMirroredRef(type: type, namespace: ns, name: name, revision: rev.isEmpty ? "main" : rev,
                                                              MirroredRefRecord(commitID: sha, updatedAt: FallbackService.now(),
                                                                                sourceName: source.name, sourceURL: source.url))
            }
        }
        var kept: [String: String] = [:]
        for name in ["X-Repo-Commit", "Link", "Content-Type"] { if let v = reply.headers.first(name: name) { kept[name] = v } }
        let record = MirroredResponseRecord(body: String(decoding: data, as: UTF8.self),
                                            headers: String(decoding: (try? Self.passOnEncoder.encode(kept)) ?? Data("{}".utf8), as: UTF8.self),
                                            sourceName: source.name, sourceURL: source.url, updatedAt: FallbackService.now())
        try? await service.database.recordMirroredResponse(type: type, namespace: ns, name: name, key: key, record)
        return storedResponse(record, request, started: started)
    }

    /// Slashes unescaped, as the source (Python's `json`) writes them.
    static let passOnEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    /// A metadata answer with `Link` moved to our host and the source named.
    func storedResponse(_ r: MirroredResponseRecord, _ request: Request, started: ContinuousClock.Instant) -> Response {
        let kept = (try? JSONDecoder().decode([String: String].self, from: Data(r.headers.utf8))) ?? [:]
        var headers = HTTPFields()
        headers[.contentType] = kept["Content-Type"] ?? "application/json"
        if let commit = kept["X-Repo-Commit"] { headers[.xRepoCommit] = commit }
        if let link = kept["Link"] { headers[.link] = rewriteOrigin(link, from: r.sourceURL, to: origin(request)) }
        sourceHeaders(&headers, name: r.sourceName, url: r.sourceURL, started: started)
        let bytes = Array(r.body.utf8)
        headers[.contentLength] = String(bytes.count)
        let body = request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        return Response(status: .ok, headers: headers, body: body)
    }

    func sourceHeaders(_ headers: inout HTTPFields, name: String, url: String, started: ContinuousClock.Instant) {
        headers[.xSource] = String(name.map { $0.isASCII && !$0.isNewline ? $0 : "?" })
        headers[.xSourceURL] = url
        let d = ContinuousClock.now - started
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        headers[.serverTiming] = "fallback;dur=\(String(format: "%.3f", ms))"
    }

    /// Replaces every occurrence of the source's origin (and a huggingface.co host) with ours, so no client is
    /// sent to the source with a URL that would carry the source's token or skip this mirror.
    func rewriteOrigin(_ value: String, from sourceURL: String, to ours: String) -> String {
        var out = value
        if let o = SourceURLs.origin(sourceURL) {
            out = out.replacingOccurrences(of: o, with: ours, options: .caseInsensitive)
            out = out.replacingOccurrences(of: sourceURL, with: ours, options: .caseInsensitive)
        }
        for host in ["https://huggingface.co", "https://hf.co"] { out = out.replacingOccurrences(of: host, with: ours, options: .caseInsensitive) }
        return out
    }

    // MARK: repo lists

    /// `GET /api/{t}?author=`: local items first (tagged `local`), then each source's, de-duplicated by id.
    func mergedList(_ type: RepoType, _ request: Request, _ local: [RepoListItemJSON]) async -> [RepoListEntry] {
        guard let service = service(for: request), let author = request.uri.queryParameters["author"].map(String.init),
              !author.isEmpty else { return local.map(RepoListEntry.local) }
        var items = local.map { item -> RepoListEntry in var i = item; i._source = "local"; return .local(i) }
        var seen = Set(items.compactMap(\.id))
        let query = (request.uri.query ?? "").split(separator: "&")
            .filter { !$0.hasPrefix("fallback=") && !$0.hasPrefix("cursor=") }.joined(separator: "&")
        for source in service.candidates(namespace: author) {
            guard let reply = try? await service.upstream.fetch(.GET, SourceURLs.list(source, type) + "?" + query, source: source),
                  reply.status == 200,
                  let list = try? JSONDecoder().decode([[String: JSONValue]].self, from: Data(reply.body.readableBytesView)) else { continue }
            for var item in list {
                guard let id = item["id"]?.string, service.settings.patterns.permits(id), seen.insert(id).inserted else { continue }
                item["_source"] = .string(source.name)
                item["_source_url"] = .string(source.url)
                items.append(.upstream(item))
            }
        }
        return items
    }
}

/// Turns a local RepoNotFound on a group's routes into the fallback's answer. It sits inside the
/// group's authentication; a repo that exists here but is hidden from the caller also says
/// RepoNotFound, and `mayFallBack` keeps that one local.
struct FallbackMiddleware: RouterMiddleware {
    enum Routes: Sendable {
        /// `/api/{t}/**`: the catch-all holds `ns/name/op/...`.
        case api
        /// `/{P}:ns/:name/resolve/**`.
        case resolve
    }

    let fallback: FallbackController
    let type: RepoType
    let routes: Routes

    func handle(_ request: Request, context: HubRequestContext,
                next: (Request, HubRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HubError where error.code == .repoNotFound && error.status == .notFound {
            switch routes {
            case .api: return try await fallback.api(type, request, parts: context.parameters.getCatchAll(), notHere: error)
            case .resolve: return try await fallback.resolve(type, request, context, notHere: error)
            }
        }
    }
}
