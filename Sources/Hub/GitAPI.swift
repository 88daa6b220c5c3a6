import Foundation
import GitSmartHTTP
import HTTPTypes
import Hummingbird
import HubDatabase
import NIOCore
import Primitives

/// `git clone http://HOST/{ns}/{name}` (and `/datasets/...`): git's smart HTTP protocol over the
/// hub's repos (`HubGitRepository`), and the LFS batch `download` operation git-lfs uses to fetch
/// the LFS files of a clone.
extension HubServer {
    static let git = GitHTTPService(agent: "ipfs-accelerate")
    /// Push packs and fetch negotiations are held in memory; this bounds one request.
    static let maxGitRequest = 256 << 20

    /// `git` serves the smart HTTP endpoints, `lfs` the LFS downloads git-lfs makes.
    func addGitRoutes(git: HubRouter, lfs: HubRouter) {
        for type in RepoType.allCases {
            let prefix = type == .model ? "" : "/\(type.plural)"
            for name in [":name", "{name}.git"] {
                git.get("\(prefix)/:ns/\(name)/info/refs") { req, ctx in try await self.git(type, .infoRefs, req, ctx) }
                git.post("\(prefix)/:ns/\(name)/git-upload-pack") { req, ctx in try await self.git(type, .uploadPack, req, ctx) }
                git.post("\(prefix)/:ns/\(name)/git-receive-pack") { req, ctx in try await self.git(type, .receivePack, req, ctx) }
            }
            lfs.get("/hub-lfs/objects/\(type.rawValue)/:ns/:name/:oid") { req, ctx in try await self.lfsDownload(type, req, ctx) }
        }
    }

    /// Asks git for credentials (HubAuthentication's `.git` routes send it with every 401).
    static let gitChallenge = "Basic realm=\"ipfs-accelerate\""

    func git(_ type: RepoType, _ endpoint: GitEndpoint, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
        let challenge = Self.gitChallenge, caller = context.caller
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let body = request.method == .post ? Array(try await collect(request, limit: Self.maxGitRequest).readableBytesView) : []
        let gitRequest = GitHTTPRequest(method: request.method.rawValue, endpoint: endpoint, query: query, headers: headers, body: body)

        // A repo the caller cannot see looks absent; anonymous callers are asked for credentials first,
        // so `git clone` of a private repo prompts (or uses a credential helper) instead of failing.
        guard let repo = try await database.repo(type: type, namespace: ns, name: name), caller.canRead(repo) else {
            if caller.user == nil { return gitAnswer(401, "Authentication required for \(ns)/\(name)\n", wwwAuthenticate: challenge) }
            return gitAnswer(404, "Repository \(ns)/\(name) not found\n")
        }
        if GitHTTPService.requiresWriteAccess(gitRequest) && !caller.canWrite(namespace: ns) {
            if caller.user == nil { return gitAnswer(401, "Pushing to \(ns)/\(name) needs a write token\n", wwwAuthenticate: challenge) }
            return gitAnswer(403, "Your token cannot write to \(ns)/\(name)\n")
        }
        // Buffered: the pack holds regular files and LFS pointers only (LFS bytes go through the batch API).
        let answer = await Self.git.handle(gitRequest, repository: HubGitRepository(repo: repo, server: self, caller: caller))
        var fields = HTTPFields()
        for (key, value) in answer.headers { if let n = HTTPField.Name(key) { fields[n] = value } }
        fields[.cacheControl] = "no-cache"
        fields[.contentLength] = String(answer.body.count)
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    func gitAnswer(_ status: Int, _ text: String, wwwAuthenticate: String? = nil) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "text/plain; charset=utf-8"
        if let wwwAuthenticate { fields[.wwwAuthenticate] = wwwAuthenticate }
        fields[.contentLength] = String(text.utf8.count)
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The batch API's `download`: an href per object of this repo the caller may read, carrying the
    /// caller's own Authorization back to this hub (never to another origin).
    func lfsBatchDownload(_ type: RepoType, _ ns: String, _ name: String, _ body: [String: Any],
                          _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await readableRepo(type, ns, name, caller: caller)
        guard let objects = body["objects"] as? [[String: Any]], objects.count <= 10_000 else {
            throw HubError.badRequest("'objects' must be a list of at most 10000 {oid, size}")
        }
        let base = origin(request)
        var answer: [[String: Any]] = []
        for obj in objects {
            let oid = (obj["oid"] as? String ?? "").lowercased()
            let size = (obj["size"] as? NSNumber)?.int64Value ?? -1
            guard let object = try await lfsObject(oid, in: repo), object.size == size else {
                answer.append(["oid": oid, "size": max(size, 0), "error": ["code": 404, "message": "Object does not exist in \(ns)/\(name)"]])
                continue
            }
            var download: [String: Any] = ["href": "\(base)/hub-lfs/objects/\(type.rawValue)/\(PercentEncoding.encode(ns))/\(PercentEncoding.encode(name))/\(oid)"]
            if let auth = request.headers[.authorization] { download["header"] = ["Authorization": auth] }
            answer.append(["oid": oid, "size": size, "authenticated": true, "actions": ["download": download]])
        }
        var response = json(["transfer": "basic", "objects": answer, "hash_algo": "sha256"])
        response.headers[.contentType] = "application/vnd.git-lfs+json"
        return response
    }

    /// The LFS object `oid` if a commit of `repo` holds it: a download names the repo it reads through,
    /// so knowing an object's hash does not open it.
    func lfsObject(_ oid: String, in repo: RepoRecord) async throws -> LFSObjectRecord? {
        guard Hex.isLowercase(oid, count: 64), let object = try await database.lfsObject(sha256: oid),
              try await database.reposHolding(sha256: oid).contains(where: { $0.id == repo.id }) else { return nil }
        return object
    }

    /// `GET /hub-lfs/objects/{type}/{ns}/{name}/{oid}`: an LFS object of a repo the caller may read.
    func lfsDownload(_ type: RepoType, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        do {
            let caller = context.caller
            let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
            let oid = (context.parameters.get("oid") ?? "").lowercased()
            let repo = try await readableRepo(type, ns, name, caller: caller)
            guard let object = try await lfsObject(oid, in: repo) else { throw HubError.entryNotFound(oid, commit: nil) }
            try await ensureLocal(object.cid)
            var headers = HTTPFields()
            headers[.eTag] = "\"\(oid)\""
            headers[.contentType] = "application/octet-stream"
            headers[.acceptRanges] = "bytes"
            return streamResponse(cid: object.cid, size: object.size, headers: headers, request)
        } catch {
            throw HubError.from(error)
        }
    }
}
