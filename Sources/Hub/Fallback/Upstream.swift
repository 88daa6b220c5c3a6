import AsyncHTTPClient
import Foundation
import HubDatabase
import NIOCore
import NIOHTTP1
import Primitives
import Outbound

/// Where a source keeps a repo's API and files. Both shapes happen to agree today (our hub uses
/// Hugging Face's paths); they stay separate so a source type with other paths changes one place.
public enum SourceURLs {
    public static func api(_ source: FallbackSource, _ type: RepoType, _ namespace: String, _ name: String) -> String {
        "\(source.url)/api/\(type.plural)/\(PercentEncoding.encode(namespace))/\(PercentEncoding.encode(name))"
    }

    public static func resolve(_ source: FallbackSource, _ type: RepoType, _ namespace: String, _ name: String,
                               revision: String, path: String) -> String {
        let prefix: String
        switch source.sourceType {
        case .huggingface: prefix = type == .model ? "" : "\(type.plural)/"
        case .hub: prefix = type == .model ? "" : "\(type.plural)/"
        }
        return "\(source.url)/\(prefix)\(PercentEncoding.encode(namespace))/\(PercentEncoding.encode(name))/resolve/\(PercentEncoding.encode(revision))/\(PercentEncoding.encodePath(path))"
    }

    public static func list(_ source: FallbackSource, _ type: RepoType) -> String { "\(source.url)/api/\(type.plural)" }

    /// `scheme://host[:port]` of a URL, lower-cased; used to decide whether a token may travel.
    public static func origin(_ url: String) -> String? {
        guard let u = URL(string: url), let scheme = u.scheme, let host = u.host else { return nil }
        return "\(scheme.lowercased())://\(host.lowercased())" + (u.port.map { ":\($0)" } ?? "")
    }
}

/// How one upstream answer counts when choosing a source (the design's classification).
public enum UpstreamVerdict: Sendable, Equatable {
    /// 2xx/3xx: the repo is there.
    case bind
    /// EntryNotFound / RevisionNotFound: the repo is there, the 4xx is the answer.
    case bindAndPassOn
    /// Try the next source; remember why.
    case next(FailureCause)

    public static func classify(status: Int, errorCode: String?) -> UpstreamVerdict {
        switch status {
        case 200..<400: return .bind
        case 401, 403, 404:
            switch errorCode {
            case "EntryNotFound", "RevisionNotFound": return .bindAndPassOn
            case "GatedRepo": return .next(.gated)
            // Hugging Face answers 401 RepoNotFound for a missing repo.
            case "RepoNotFound": return .next(.notFound)
            default: return .next(status == 404 ? .notFound : .forbidden)
            }
        default: return .next(.unavailable)
        }
    }
}

/// Why a source could not serve a repo, most telling last.
public enum FailureCause: Int, Sendable, Comparable {
    case unavailable = 0, notFound, forbidden, gated
    public static func < (a: FailureCause, b: FailureCause) -> Bool { a.rawValue < b.rawValue }
}

/// Transport failure talking to a source (refused, timed out, cut).
struct UpstreamUnreachable: Error, CustomStringConvertible {
    var url: String
    var reason: String
    var description: String { "\(url): \(reason)" }
}

/// A collected upstream answer.
struct UpstreamReply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
    var errorCode: String? { headers.first(name: "X-Error-Code") }
}

/// HTTP to sources: no redirects followed automatically (tokens must not travel to another
/// origin), connect and idle-read timeouts, the caller's credentials never sent.
final class UpstreamClient: Sendable {
    /// At most N upstream requests at once; waiters queue in order.
    let gate: AsyncSemaphore
    let timeout: TimeInterval
    static let maxMetadataBody = 64 * 1024 * 1024

    init(maxConcurrent: Int, timeout: TimeInterval) {
        gate = AsyncSemaphore(maxConcurrent)
        self.timeout = timeout
    }

    func request(_ method: HTTPMethod, _ url: String, source: FallbackSource, body: ByteBuffer? = nil,
                 contentType: String? = nil, range: String? = nil) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: url)
        r.method = method
        r.headers.add(name: "User-Agent", value: "ipfs-accelerate-fallback/1")
        r.headers.add(name: "Accept-Encoding", value: "identity")
        // Only the admin's token of this source, and only to the source's own origin.
        if let token = source.token, SourceURLs.origin(url) == SourceURLs.origin(source.url) {
            r.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let range { r.headers.add(name: "Range", value: range) }
        if let body {
            r.body = .bytes(body)
            r.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
        }
        return r
    }

    /// Sends a request and collects the answer (metadata only; downloads use `open`).
    func fetch(_ method: HTTPMethod, _ url: String, source: FallbackSource, body: ByteBuffer? = nil,
               contentType: String? = nil) async throws -> UpstreamReply {
        try await gate.acquire()
        do {
            let response = try await OutboundHTTP.sources.execute(request(method, url, source: source, body: body, contentType: contentType),
                                                       timeout: .milliseconds(Int64(timeout * 1000)))
            var bytes = ByteBuffer()
            if method != .HEAD { bytes = try await response.body.collect(upTo: Self.maxMetadataBody) }
            await gate.release()
            return UpstreamReply(status: Int(response.status.code), headers: response.headers, body: bytes)
        } catch {
            await gate.release()
            throw UpstreamUnreachable(url: url, reason: TransportFailure(error).describe(peer: "the source"))
        }
    }

    /// Opens a streaming GET; the caller must consume or drop the body. The gate is held until `release` is called.
    func open(_ url: String, source: FallbackSource, range: String? = nil) async throws -> HTTPClientResponse {
        try await gate.acquire()
        do {
            return try await OutboundHTTP.sources.execute(request(.GET, url, source: source, range: range),
                                               timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            await gate.release()
            throw UpstreamUnreachable(url: url, reason: TransportFailure(error).describe(peer: "the source"))
        }
    }

    func release() async { await gate.release() }
}
