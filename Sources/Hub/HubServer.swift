import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Logging
import Multiformats
import NIOCore
import Primitives
import HTTPSupport

/// How preupload answers for files that could go through LFS. The official client with `hf_xet`
/// installed sends every "lfs" file through Xet, which this hub does not offer, so the default
/// answers "regular" for everything (large files then arrive base64 inside the commit, stream-decoded).
/// Deployments whose users set `HF_HUB_DISABLE_XET=1` may turn LFS on.
public enum UploadMode: Sendable, Equatable {
    case regularOnly
    /// Files of at least `threshold` bytes, or binary ones, go through LFS.
    case lfs(threshold: Int64)

    /// `HUB_UPLOAD_MODE=regular|lfs`, `HUB_LFS_THRESHOLD=bytes` (default 10 MiB).
    public static func from(environment env: [String: String]) -> UploadMode {
        guard env["HUB_UPLOAD_MODE"]?.lowercased() == "lfs" else { return .regularOnly }
        return .lfs(threshold: env["HUB_LFS_THRESHOLD"].flatMap { Int64($0) } ?? 10 * 1024 * 1024)
    }
}

/// The Hugging Face–compatible hub and the trustless gateway, mounted on a shared router.
public final class HubServer: Sendable {
    let database: HubDatabase
    let content: ContentStore
    let uploadMode: UploadMode
    let publicURL: String?
    let signingSecret: [UInt8]
    let isPinned: @Sendable (String) async -> Bool
    /// The node's pinned roots: their blocks are never removed with an evicted mirror copy.
    let pinnedRoots: @Sendable () -> [CID]
    /// The IPFS backend that also keeps the hub's content (`HUB_STORE_BACKEND`); nil: the local store only.
    let replica: ContentReplica?
    let metrics: HubMetrics
    let logger: Logger
    /// External-source fallback, set by `enableFallback` (Sources/Hub/Fallback).
    let fallbackSlot = FallbackSlot()

    /// - Parameters:
    ///   - publicURL: origin used in `url`, `commitUrl` and `Link` (default: `http://` + the request's Host).
    ///   - signingSecret: key for upload URLs (they carry their own authorisation, never a token).
    ///   - isPinned: content pinned in the node (the gateway serves only pins and public repo files).
    public init(database: HubDatabase, content: ContentStore, uploadMode: UploadMode = .regularOnly,
                publicURL: String? = nil, signingSecret: [UInt8],
                isPinned: @escaping @Sendable (String) async -> Bool = { _ in false },
                pinnedRoots: @escaping @Sendable () -> [CID] = { [] },
                replica: ContentReplica? = nil,
                metrics: HubMetrics = HubMetrics(),
                logger: Logger = Logger(label: "ipfs-accelerate.hub")) {
        self.database = database
        self.content = content
        self.uploadMode = uploadMode
        self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.signingSecret = signingSecret
        self.isPinned = isPinned
        self.pinnedRoots = pinnedRoots
        self.replica = replica
        self.metrics = metrics
        self.logger = logger
    }

    /// Reads the hub's signing secret from `dataDirectory/hub-secret`, creating it (0600) on first use.
    /// Hub processes sharing a data directory agree on one secret: a new one is linked into place only
    /// if no file is there yet, and every process then reads the file that won. An existing file that
    /// cannot be read is an error, never replaced: that would void every sealed source token and signed URL.
    public static func loadSecret(dataDirectory: URL) throws -> [UInt8] {
        let url = dataDirectory.appendingPathComponent("hub-secret")
        if FileManager.default.fileExists(atPath: url.path) { return try readSecret(url) }
        var rng = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let tmp = dataDirectory.appendingPathComponent("hub-secret.tmp-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: tmp.path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw ContentStoreError.io("cannot write \(tmp.path)")
        }
        defer { unlink(tmp.path) }
        // link(2) fails when the name exists: the first process to get here sets the secret for all.
        if link(tmp.path, url.path) != 0 && errno != EEXIST {
            throw ContentStoreError.io("cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        return try readSecret(url)
    }

    private static func readSecret(_ url: URL) throws -> [UInt8] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ContentStoreError.io("\(url.path) exists but cannot be read (\(error.localizedDescription)); fix its permissions rather than deleting it: it signs upload URLs and seals source tokens")
        }
        guard data.count >= 32 else {
            throw ContentStoreError.io("\(url.path) holds \(data.count) bytes, a secret needs 32; restore it from a backup (deleting it voids sealed source tokens)")
        }
        return Array(data)
    }

    /// Mounts every hub and gateway route. Leaves `/api/v0/...` (Kubo RPC) and the model server's paths alone.
    ///
    /// This is the hub's composition root: each controller is built here with the pieces it uses and
    /// no others. Groups differ by how a route learns who is calling: the HF API through Bearer tokens;
    /// git and git-lfs through Bearer or Basic (a refusal on git's own endpoints comes as git's
    /// challenge); the web pages through their session cookie or a valid Bearer token; and routes
    /// that carry their own authorisation or none (signed upload URLs, the gateway).
    public func addRoutes(to router: Router<BasicRequestContext>) {
        let authenticator = Authenticator(database: database)
        func authentication(_ accepted: HubAuthentication.Accepted) -> HubAuthentication {
            HubAuthentication(authenticator: authenticator, accepted: accepted,
                              gitRefusal: { message in GitController.answer(401, message + "\n", wwwAuthenticate: GitController.challenge) })
        }
        // Counted outermost, so that authentication's refusals are counted too.
        func group() -> HubRouter {
            router.group(context: HubRequestContext.self).add(middleware: HubMetricsMiddleware(metrics: metrics))
        }
        let api = group().add(middleware: authentication(.bearer))
        let lfsGroup = group().add(middleware: authentication(.bearerOrBasic))
        let git = group().add(middleware: authentication(.git))
        let web = group().add(middleware: authentication(.optionalBearer))
        let open = group()

        let origin = HubOrigin(publicURL: publicURL)
        let repos = RepoAccess(database: database)
        let responses = ContentResponses(content: content, metrics: metrics, logger: logger)
        let placement = ContentPlacement(content: content, replica: replica)
        let downloads = FileDownloads(placement: placement, responses: responses)
        let lfs = LFSController(database: database, content: content, placement: placement, repos: repos,
                                signingSecret: signingSecret, origin: origin, responses: responses)
        let fallback = FallbackController(slot: fallbackSlot, database: database, content: content, downloads: downloads,
                                          origin: origin, pinnedRoots: pinnedRoots, metrics: metrics, logger: logger)
        let commits = CommitController(database: database, content: content, placement: placement, repos: repos,
                                       lfs: lfs, origin: origin, logger: logger)
        RepoAPIController(database: database, repos: repos, origin: origin, uploadMode: uploadMode, commits: commits,
                          fallback: fallback, logger: logger).addRoutes(to: api)
        ResolveController(database: database, downloads: downloads).addRoutes(to: api, fallback: fallback)
        lfs.addRoutes(lfs: lfsGroup, open: open, api: api)
        AdminController(database: database).addRoutes(to: api)
        fallback.addRoutes(to: api)
        GatewayController(content: content, database: database, isPinned: isPinned, responses: responses).addRoutes(to: open)
        GitController(database: database, content: content, placement: placement, lfs: lfs).addRoutes(to: git)
        // Web pages (Sources/Hub/Web): `/`, `/-/...` and GET `/{ns}[/{name}[/tree|blob|commits/...]]`.
        WebController(database: database, content: content, placement: placement, repos: repos, authenticator: authenticator,
                      origin: origin, seal: WebSeal(secret: signingSecret), fallback: fallbackSlot, logger: logger).addRoutes(to: web)
    }

    static func iso8601(_ seconds: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// A new 40-hex commit id: sha1 over what makes the commit unique.
    static func newCommitID(repoID: String, parent: String?, title: String) -> String {
        var h = Insecure.SHA1()
        h.update(data: Array("\(repoID)\n\(parent ?? "")\n\(title)\n\(Date().timeIntervalSince1970)\n\(UUID().uuidString)".utf8))
        return Hex.encode(h.finalize())
    }
}

/// The origin of the URLs this hub hands out (`url`, `commitUrl`, `Link`, upload hrefs).
struct HubOrigin: Sendable {
    /// `HUB_PUBLIC_URL` without a trailing slash; nil: `http://` (or `X-Forwarded-Proto`) plus the request's Host.
    let publicURL: String?

    func callAsFunction(_ request: Request) -> String {
        if let publicURL { return publicURL }
        let host = request.head.authority ?? "127.0.0.1"
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http"
        return "\(scheme)://\(host)"
    }

    /// A repo's page URL, as the HF API returns it in `url` and commit links.
    func repoURL(_ request: Request, _ type: RepoType, _ ns: String, _ name: String) -> String {
        self(request) + (type == .model ? "" : "/\(type.plural)") + "/\(ns)/\(name)"
    }
}

/// An `Encodable` answer; one that cannot be encoded becomes `{}`, as the dictionary form did.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    JSONResponse.make(encodingOrEmpty: value, status: status, headers: headers)
}

/// Request bodies read whole: bounded, and JSON decoded into the route's Codable type.
enum HubRequestBody {
    /// Longest JSON request body accepted (commit lines stream and are not bound by this).
    static let maxJSON = 16 * 1024 * 1024

    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        var out = ByteBuffer()
        for try await var chunk in request.body {
            guard out.readableBytes + chunk.readableBytes <= limit else {
                throw HubError(.contentTooLarge, code: .badRequest, "Request body over \(limit) bytes")
            }
            out.writeBuffer(&chunk)
        }
        return out
    }

    /// Collects a JSON body up to `maxJSON` and decodes it; an empty body reads as `{}`.
    static func decode<Body: Decodable>(_ type: Body.Type, _ request: Request) async throws -> Body {
        let buffer = try await collect(request, limit: maxJSON)
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw HubError.badRequest("The request body must be a JSON object")
        }
    }
}

/// Splits and percent-decodes path parts (revisions arrive as `refs%2Fpr%2F1`).
func decoded<S: StringProtocol>(_ part: S) -> String {
    String(part).removingPercentEncoding ?? String(part)
}

/// Refuses repo file paths that could escape or confuse a tree: `..`, `.`, empty parts, absolute, NUL, backslash.
func validateRepoPath(_ path: String) throws {
    guard !path.isEmpty, path.utf8.count <= 1024 else { throw HubError.badRequest("Invalid path '\(path)': empty or too long") }
    // A backslash is a separator to Windows clients, so it would name another file there.
    let unsafe = HubError.badRequest("Invalid path '\(path.replacingOccurrences(of: "\0", with: "\\0"))': absolute paths, NUL and backslashes are not allowed")
    guard !path.contains("\\") else { throw unsafe }
    do { _ = try RelativePath.segments(path) } catch {
        switch error {
        case .absolute, .nul, .empty: throw unsafe
        case .emptySegment, .dotSegment:
            throw HubError.badRequest("Invalid path '\(path)': empty, '.' and '..' parts are not allowed")
        }
    }
    if path == ".git" || path.hasPrefix(".git/") { throw HubError.badRequest("Invalid path '\(path)': .git is reserved") }
}

/// Repo and namespace names: letters, digits, `-`, `_`, `.`; no leading dot or dash.
func validateRepoName(_ name: String, what: String) throws {
    let ok = SegmentName.isValid(name) && !name.hasPrefix(".") && !name.hasPrefix("-") && !name.hasSuffix(".git")
        && !name.contains("..")
    if !ok { throw HubError.badRequest("Invalid \(what) '\(name)': use letters, digits, '-', '_' and '.'") }
}

/// Query flags as clients send them: `true`, `True` (Python's str(True)), `1`.
func isTrue<S: StringProtocol>(_ value: S) -> Bool {
    let v = value.lowercased()
    return v == "true" || v == "1" || v == "yes"
}
