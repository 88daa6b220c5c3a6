import Foundation
import GitSmartHTTP
import HTTPTypes
import Hummingbird
import HubDatabase
import NIOCore
import Primitives

/// `git clone http://HOST/{ns}/{name}` (and `/datasets/...`): git's smart HTTP protocol over the
/// hub's repos (`HubGitRepository`).
struct GitController: Sendable {
    let database: HubDatabase
    let content: ContentStore
    let placement: ContentPlacement
    let lfs: LFSController

    static let service = GitHTTPService(agent: "ipfs-accelerate")
    /// Push packs and fetch negotiations are held in memory; this bounds one request.
    static let maxRequest = 256 << 20

    /// `git`: the group whose authentication answers in git's form. git-lfs's downloads are LFSController's.
    func addRoutes(to git: HubRouter) {
        for type in RepoType.allCases {
            let prefix = type == .model ? "" : "/\(type.plural)"
            for name in [":name", "{name}.git"] {
                git.get("\(prefix)/:ns/\(name)/info/refs") { req, ctx in try await self.handle(type, .infoRefs, req, ctx) }
                git.post("\(prefix)/:ns/\(name)/git-upload-pack") { req, ctx in try await self.handle(type, .uploadPack, req, ctx) }
                git.post("\(prefix)/:ns/\(name)/git-receive-pack") { req, ctx in try await self.handle(type, .receivePack, req, ctx) }
            }
        }
    }

    /// Asks git for credentials (HubAuthentication's `.git` routes send it with every 401).
    static let challenge = "Basic realm=\"ipfs-accelerate\""

    func handle(_ type: RepoType, _ endpoint: GitEndpoint, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
        let challenge = Self.challenge, caller = context.caller
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let body = request.method == .post ? Array(try await HubRequestBody.collect(request, limit: Self.maxRequest).readableBytesView) : []
        let gitRequest = GitHTTPRequest(method: request.method.rawValue, endpoint: endpoint, query: query, headers: headers, body: body)

        // A repo the caller cannot see looks absent; anonymous callers are asked for credentials first,
        // so `git clone` of a private repo prompts (or uses a credential helper) instead of failing.
        guard let repo = try await database.repo(type: type, namespace: ns, name: name), caller.canRead(repo) else {
            if caller.user == nil { return Self.answer(401, "Authentication required for \(ns)/\(name)\n", wwwAuthenticate: challenge) }
            return Self.answer(404, "Repository \(ns)/\(name) not found\n")
        }
        if GitHTTPService.requiresWriteAccess(gitRequest) && !caller.canWrite(namespace: ns) {
            if caller.user == nil { return Self.answer(401, "Pushing to \(ns)/\(name) needs a write token\n", wwwAuthenticate: challenge) }
            return Self.answer(403, "Your token cannot write to \(ns)/\(name)\n")
        }
        // Buffered: the pack holds regular files and LFS pointers only (LFS bytes go through the batch API).
        let answer = await Self.service.handle(gitRequest, repository: HubGitRepository(repo: repo, database: database, content: content,
                                                                             placement: placement, lfs: lfs, caller: caller))
        var fields = HTTPFields()
        for (key, value) in answer.headers { if let n = HTTPField.Name(key) { fields[n] = value } }
        fields[.cacheControl] = "no-cache"
        fields[.contentLength] = String(answer.body.count)
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    static func answer(_ status: Int, _ text: String, wwwAuthenticate: String? = nil) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "text/plain; charset=utf-8"
        if let wwwAuthenticate { fields[.wwwAuthenticate] = wwwAuthenticate }
        fields[.contentLength] = String(text.utf8.count)
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
