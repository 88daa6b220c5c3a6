import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Logging
import NIOCore
import NIOHTTP1
import Primitives
import HTTPSupport

/// State of the external-source fallback: settings, the merged source list, the binding cache,
/// the upstream client and the single-flight tables. Created by `HubServer.enableFallback`.
public final class FallbackService: Sendable {
    let database: HubDatabase
    let cipher: TokenCipher
    let settings: FallbackSettings
    let configSources: [FallbackSource]
    let sourcesBox: Locked<[FallbackSource]>
    let binder: SourceBinder
    let upstream: UpstreamClient
    let revisions = SingleFlight<String, String>()
    let heads = SingleFlight<String, UpstreamFileMeta>()
    let headCache = Locked<[String: (UpstreamFileMeta, ContinuousClock.Instant)]>([:])
    let downloads = DownloadRegistry()
    let logger: Logger

    init(database: HubDatabase, settings: FallbackSettings, secret: [UInt8], logger: Logger) async throws {
        self.database = database
        self.settings = settings
        self.configSources = settings.sources
        self.cipher = TokenCipher(secret: secret)
        self.sourcesBox = Locked(settings.sources)
        self.binder = SourceBinder(ttlSeconds: settings.cacheTTL)
        self.upstream = UpstreamClient(maxConcurrent: settings.maxConcurrent, timeout: settings.timeout)
        self.logger = logger
        try await reloadSources()
    }

    var sources: [FallbackSource] { sourcesBox.withLock { $0 } }

    /// Re-reads the admin's sources and merges them after the configured ones; clears every binding.
    func reloadSources() async throws {
        var stored: [FallbackSource] = []
        for r in try await database.fallbackSources() {
            guard let type = FallbackSourceType(rawValue: r.sourceType) else { continue }
            var token: String?
            if let sealed = r.sealedToken {
                do { token = try cipher.open(sealed) } catch {
                    logger.warning("fallback source \(r.name): \(error); using it without a token")
                }
            }
            stored.append(FallbackSource(id: r.id, name: r.name, url: r.url, sourceType: type, priority: Int(r.priority),
                                         namespace: r.namespace, token: token, enabled: r.enabled, origin: "database"))
        }
        let merged = FallbackSource.merge([configSources, stored])
        sourcesBox.withLock { $0 = merged }
        await binder.clear()
        headCache.withLock { $0.removeAll() }
    }

    func candidates(namespace: String) -> [FallbackSource] { sources.filter { $0.applies(to: namespace) } }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: binding

    /// The source this repo is bound to, probing the candidates in priority order when unbound.
    func bind(_ type: RepoType, _ ns: String, _ name: String) async -> BindOutcome {
        let key = SourceBinder.key(type.rawValue, ns, name)
        let candidates = candidates(namespace: ns)
        return await binder.bind(key) { [self] in
            var attempts: [FallbackAttempt] = []
            for source in candidates {
                let url = SourceURLs.api(source, type, ns, name)
                do {
                    let reply = try await upstream.fetch(.GET, url, source: source)
                    switch UpstreamVerdict.classify(status: reply.status, errorCode: reply.errorCode) {
                    case .bind, .bindAndPassOn:
                        if reply.status == 200, let info = Self.jsonObject(reply.body), let sha = info["sha"]?.string, Hex.isLowercase(sha, count: 40) {
                            try? await database.recordMirroredRef(type: type, namespace: ns, name: name, revision: "main",
                                                                  MirroredRefRecord(commitID: sha, updatedAt: Self.now(),
                                                                                    sourceName: source.name, sourceURL: source.url))
                        }
                        return .bound(source)
                    case .next(let cause):
                        attempts.append(FallbackAttempt(source: source.name, url: source.url, status: reply.status, code: reply.errorCode,
                                                        message: reply.headers.first(name: "X-Error-Message") ?? "HTTP \(reply.status)", cause: cause))
                    }
                } catch {
                    attempts.append(FallbackAttempt(source: source.name, url: source.url, status: nil, code: nil,
                                                    message: "\(error)", cause: .unavailable))
                }
            }
            return .failed(FallbackFailure(repo: "\(ns)/\(name)", attempts: attempts))
        }
    }

    /// The commit a revision names at a bound source (one request per revision at a time), remembered for offline use.
    func commit(for revision: String, _ source: FallbackSource, _ type: RepoType, _ ns: String, _ name: String) async throws -> String {
        if Hex.isLowercase(revision, count: 40) { return revision }
        let ttl = Int64(settings.cacheTTL)
        if let ref = try? await database.mirroredRef(type: type, namespace: ns, name: name, revision: revision),
           ref.sourceURL == source.url, Self.now() - ref.updatedAt < ttl {
            return ref.commitID
        }
        let key = "\(source.url)|\(type.rawValue)|\(ns)/\(name)|\(revision)"
        return try await revisions.run(key) { [self] in
            let url = SourceURLs.api(source, type, ns, name) + "/revision/" + PercentEncoding.encode(revision)
            let reply = try await upstream.fetch(.GET, url, source: source)
            guard reply.status == 200 else { throw Self.passOn(reply, source) }
            guard let sha = Self.jsonObject(reply.body)?["sha"]?.string, Hex.isLowercase(sha, count: 40) else {
                throw HubError(.badGateway, code: .badGateway, "\(source.name) answered revision '\(revision)' without a 40-hex 'sha'")
            }
            try? await database.recordMirroredRef(type: type, namespace: ns, name: name, revision: revision,
                                                  MirroredRefRecord(commitID: sha, updatedAt: Self.now(), sourceName: source.name, sourceURL: source.url))
            return sha
        }
    }

    // MARK: helpers

    /// A source's answer as a JSON object (nil: not one).
    static func jsonObject(_ buffer: ByteBuffer) -> [String: JSONValue]? {
        try? JSONDecoder().decode([String: JSONValue].self, from: Data(buffer.readableBytesView))
    }

    /// A source's 4xx/5xx, passed on with its error kind (the repo is bound; this is the answer).
    static func passOn(_ reply: UpstreamReply, _ source: FallbackSource) -> HubError {
        let status = HTTPResponse.Status(code: reply.status)
        let message = reply.headers.first(name: "X-Error-Message")
            ?? Self.jsonObject(reply.body)?["error"]?.string ?? "\(source.name) answered HTTP \(reply.status)"
        if reply.status >= 500 {
            return HubError(.badGateway, code: .badGateway, "\(source.name) (\(source.url)) answered HTTP \(reply.status): \(message)")
        }
        var code = reply.errorCode.map(HubErrorCode.init(rawValue:))
        if code == nil, [401, 403, 404].contains(reply.status) { code = reply.status == 404 ? .entryNotFound : .forbidden }
        return HubError(status, code: code, message, repoCommit: reply.headers.first(name: "X-Repo-Commit"))
    }
}

extension FallbackFailure: HTTPResponseError {
    var status: HTTPResponse.Status {
        switch cause {
        case .gated, .forbidden: return .forbidden
        case .notFound: return .notFound
        case .unavailable: return .badGateway
        }
    }

    var code: HubErrorCode {
        switch cause {
        case .gated: return .gatedRepo
        case .forbidden: return .forbidden
        case .notFound: return .repoNotFound
        case .unavailable: return .badGateway
        }
    }

    var message: String {
        switch cause {
        case .gated: return "Repository \(repo) is gated at every source that has it"
        case .forbidden: return "Access to \(repo) was refused by every fallback source"
        case .notFound: return "Repository Not Found for '\(repo)': not here and not at any fallback source"
        case .unavailable: return "Repository \(repo) is not here and no fallback source could be reached"
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        // The repo name in the message comes from the request: sanitised like every error header.
        HFErrorResponse.make(status: status, code: code.rawValue, message: message,
                             body: Body(error: message, attempts: attempts))
    }

    /// The error body: the message and every source tried.
    private struct Body: Encodable {
        var error: String
        var attempts: [FallbackAttempt]
    }
}

extension HTTPField.Name {
    static let xSource = HTTPField.Name("X-Source")!
    static let xSourceURL = HTTPField.Name("X-Source-URL")!
    static let serverTiming = HTTPField.Name("Server-Timing")!
}

/// Holds the fallback service once `enableFallback` has run (the hub works without it).
final class FallbackSlot: Sendable {
    let box = Locked<FallbackService?>(nil)
    var service: FallbackService? { box.withLock { $0 } }

    /// The service, for the operations that need it (the sources' admin API and portal pages);
    /// 503 FallbackDisabled when it was never set up.
    func required() throws -> FallbackService {
        guard let service else {
            throw HubError(.serviceUnavailable, code: .fallbackDisabled, "The external-source fallback is not set up on this server")
        }
        return service
    }
}

extension HubServer {
    /// Turns the external-source fallback on with these settings (sources from the database are merged in).
    /// Source tokens are sealed under a key derived from the hub's secret.
    public func enableFallback(_ settings: FallbackSettings) async throws {
        let service = try await FallbackService(database: database, settings: settings, secret: signingSecret, logger: logger)
        fallbackSlot.box.withLock { $0 = service }
    }

    /// The effective sources (tokens included; for the process that owns them, never for the API).
    public var fallbackSources: [FallbackSource] { fallbackSlot.service?.sources ?? [] }
    /// Whether repos missing here are looked for at the fallback sources.
    public var fallbackEnabled: Bool { fallbackSlot.service?.settings.enabled ?? false }
}
