/// A framework-neutral HTTP request as far as git cares.
public struct GitHTTPRequest: Sendable {
    public var method: String
    /// Which git endpoint was hit (see `GitEndpoint.split`).
    public var endpoint: GitEndpoint
    /// Decoded query parameters ("service" matters).
    public var query: [String: String]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, endpoint: GitEndpoint, query: [String: String] = [:],
                headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.endpoint = endpoint
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

public struct GitHTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// git shows a plain-text body of a failed request to the user.
    static func text(_ status: Int, _ message: String) -> GitHTTPResponse {
        GitHTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"] .merging(noCache) { a, _ in a },
                        body: Array((message + "\n").utf8))
    }

    static func git(_ contentType: String, _ body: [UInt8]) -> GitHTTPResponse {
        GitHTTPResponse(status: 200, headers: ["Content-Type": contentType].merging(noCache) { a, _ in a }, body: body)
    }

    /// Proxies must not cache ref advertisements or negotiation results.
    static let noCache: [String: String] = [
        "Cache-Control": "no-cache, max-age=0, must-revalidate",
        "Pragma": "no-cache",
        "Expires": "Fri, 01 Jan 1980 00:00:00 GMT",
    ]
}

/// The three URLs smart HTTP uses below a repository's base URL.
public enum GitEndpoint: String, Sendable, CaseIterable {
    case infoRefs = "info/refs"
    case uploadPack = "git-upload-pack"
    case receivePack = "git-receive-pack"

    /// Splits "/ns/name.git/info/refs" into ("/ns/name", .infoRefs); a
    /// trailing ".git" on the repository path is dropped since clients use
    /// both spellings. Nil when the path is not a git endpoint.
    public static func split(path: String) -> (repositoryPath: String, endpoint: GitEndpoint)? {
        for e in allCases where path.hasSuffix("/" + e.rawValue) {
            var repo = String(path.dropLast(e.rawValue.count + 1))
            if repo.hasSuffix(".git") { repo = String(repo.dropLast(4)) }
            return (repo, e)
        }
        return nil
    }
}

/// The smart HTTP protocol as pure request → response functions over a
/// `GitRepository`. Authentication is the caller's job: it should answer 401
/// with `WWW-Authenticate: Basic` before calling `handle` for receive-pack
/// (see `requiresWriteAccess`), which makes git prompt for or send a token.
public struct GitHTTPService: Sendable {
    public var agent: String
    public var limits: PackLimits
    /// Largest request body accepted after gzip decoding.
    public var maxRequestBytes: Int

    public init(agent: String = "ipfs-accelerate-git/1.0", limits: PackLimits = PackLimits(),
                maxRequestBytes: Int = 4 << 30) {
        self.agent = agent
        self.limits = limits
        self.maxRequestBytes = maxRequestBytes
    }

    /// True for requests that lead to a push (both the advertisement and the POST).
    public static func requiresWriteAccess(_ request: GitHTTPRequest) -> Bool {
        request.endpoint == .receivePack ||
            (request.endpoint == .infoRefs && request.query["service"] == GitServiceName.receivePack.rawValue)
    }

    /// Answers a request with a fully buffered body.
    public func handle(_ request: GitHTTPRequest, repository: any GitRepository) async -> GitHTTPResponse {
        let streaming = await handleStreaming(request, repository: repository)
        let collected = ByteCollector()
        // The body writer below only fails if `write` fails, which ours never does.
        try? await streaming.writeBody { await collected.append($0) }
        return GitHTTPResponse(status: streaming.status, headers: streaming.headers, body: await collected.bytes)
    }

    /// Answers a request with status and headers up front and a body the
    /// caller pulls through `writeBody`, which calls `write` with chunks as
    /// the pack is produced. Errors after the headers are sent are reported
    /// in-band (git prints them as "remote error").
    public func handleStreaming(_ request: GitHTTPRequest, repository: any GitRepository) async -> GitHTTPStreamingResponse {
        switch (request.endpoint, request.method.uppercased()) {
        case (.infoRefs, "GET"):
            guard let s = request.query["service"].flatMap(GitServiceName.init(rawValue:)) else {
                // Without ?service= the client is speaking the dumb protocol.
                return .init(.text(403, "dumb HTTP protocol is not supported; use a git client >= 1.6.6"))
            }
            return .init(await advertise(service: s, gitProtocol: request.headers["git-protocol"], repository: repository))
        case (.uploadPack, "POST"), (.receivePack, "POST"):
            let service: GitServiceName = request.endpoint == .uploadPack ? .uploadPack : .receivePack
            if let ct = request.headers["content-type"], ct != service.requestContentType {
                return .init(.text(415, "expected Content-Type \(service.requestContentType)"))
            }
            let body: [UInt8]
            switch request.headers["content-encoding"]?.lowercased() {
            case nil, "", "identity":
                body = request.body
            case "gzip", "x-gzip":
                do { body = try Zlib.gunzip(request.body, limit: maxRequestBytes) } catch {
                    return .init(.text(400, "bad gzip request body: \(error)"))
                }
            case let other?:
                return .init(.text(415, "unsupported Content-Encoding \(other)"))
            }
            guard body.count <= maxRequestBytes else { return .init(.text(413, "request too large")) }
            if service == .receivePack {
                return .init(await receivePack(body: body, repository: repository))
            }
            let proto = request.headers["git-protocol"]
            var headers = ["Content-Type": service.resultContentType]
            headers.merge(GitHTTPResponse.noCache) { a, _ in a }
            return GitHTTPStreamingResponse(status: 200, headers: headers) { write in
                try await self.uploadPack(body: body, gitProtocol: proto, repository: repository, write: write)
            }
        default:
            return .init(.text(405, "method not allowed"))
        }
    }

    /// GET info/refs?service=…
    public func advertise(service: GitServiceName, gitProtocol: String?, repository: any GitRepository) async -> GitHTTPResponse {
        let adv = Advertiser(agent: agent)
        do {
            // Push has no v2 form; git falls back to v0 for receive-pack.
            if service == .uploadPack, gitProtocolVersion(gitProtocol) == 2 {
                return .git(service.advertisementContentType, adv.v2Capabilities())
            }
            let snap = try await repository.refs()
            let peeled = try await peeledTags(snap, repository: repository)
            let version = gitProtocolVersion(gitProtocol) == 1 ? 1 : 0
            return .git(service.advertisementContentType,
                        adv.v0Refs(service: service, snapshot: snap, peeled: peeled, version: version))
        } catch {
            return .text(500, "repository error: \(oneLine("\(error)"))")
        }
    }

    /// POST git-upload-pack (body already decoded), buffered.
    public func uploadPack(body: [UInt8], gitProtocol: String?, repository: any GitRepository) async -> GitHTTPResponse {
        let collected = ByteCollector()
        try? await uploadPack(body: body, gitProtocol: gitProtocol, repository: repository) { await collected.append($0) }
        return .git(GitServiceName.uploadPack.resultContentType, await collected.bytes)
    }

    /// POST git-upload-pack (body already decoded), streamed to `write`.
    /// Only errors thrown by `write` itself propagate; protocol and
    /// repository failures become an in-band error for the client.
    public func uploadPack(body: [UInt8], gitProtocol: String?, repository: any GitRepository,
                           write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        let sink = ResponseSink(emit: write)
        do {
            if gitProtocolVersion(gitProtocol) == 2 {
                try await UploadPackV2(repository: repository).respond(to: body, into: sink)
            } else {
                try await UploadPackV0(repository: repository).respond(to: body, into: sink)
            }
        } catch let e as SinkWriteError {
            throw e.underlying
        } catch {
            try await sink.fail(oneLine("\(error)"))
        }
        _ = try await sink.finish()
    }

    /// POST git-receive-pack (body already decoded).
    public func receivePack(body: [UInt8], repository: any GitRepository) async -> GitHTTPResponse {
        do {
            let out = try await ReceivePack(repository: repository, limits: limits).respond(to: body)
            return .git(GitServiceName.receivePack.resultContentType, out)
        } catch let e as ProtocolError {
            return .text(400, e.description)
        } catch {
            return .text(500, "receive-pack failed: \(oneLine("\(error)"))")
        }
    }
}

/// Status and headers, plus a body produced on demand.
public struct GitHTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    /// Call once; it invokes `write` with successive body chunks.
    public var writeBody: @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void

    public init(status: Int, headers: [String: String],
                writeBody: @escaping @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void) {
        self.status = status
        self.headers = headers
        self.writeBody = writeBody
    }

    init(_ complete: GitHTTPResponse) {
        let body = complete.body
        self.init(status: complete.status, headers: complete.headers) { write in
            if !body.isEmpty { try await write(body) }
        }
    }
}

package actor ByteCollector {
    package private(set) var bytes: [UInt8] = []
    package init() {}
    package func append(_ b: [UInt8]) { bytes += b }
}
