import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HubDatabase
import Primitives

/// The HF repo API: whoami, listings, repo and revision info, tree and paths-info, repo creation
/// and settings, branches, commits and discussions (the commit itself is `CommitController`'s).
struct RepoAPIController: Sendable {
    let database: HubDatabase
    let repos: RepoAccess
    let origin: HubOrigin
    let uploadMode: UploadMode
    let commits: CommitController
    /// Repos not found here: their reads and the listings' merge go to the external sources.
    let fallback: FallbackController
    let logger: Logger

    /// `router`: the Bearer-authenticated API group.
    func addRoutes(to router: HubRouter) {
        router.get("/api/whoami-v2") { req, ctx in try await whoami(req, ctx.caller) }
        for type in RepoType.allCases {
            router.get("/api/\(type.plural)") { req, ctx in try await listRepos(type, req, ctx.caller) }
            let repo = router.group().add(middleware: fallback.middleware(type, .api))
            for method in [HTTPRequest.Method.get, .head, .post, .put, .delete] {
                repo.on("/api/\(type.plural)/**", method: method) { req, ctx in
                    try await repoAPI(type, req, ctx.parameters.getCatchAll(), ctx.caller)
                }
            }
        }
        router.post("/api/repos/create") { req, ctx in try await createRepo(req, ctx.caller) }
        router.delete("/api/repos/delete") { req, ctx in try await deleteRepo(req, ctx.caller) }
        router.post("/api/repos/move") { req, ctx in try await moveRepo(req, ctx.caller) }
        router.post("/api/validate-yaml") { req, _ in try await validateYAML(req) }
    }

    /// `/api/{type}s/{ns}/{name}[/{op}/...]`: parses the rest of the path itself so that encoded
    /// revisions (`refs%2Fpr%2F1`) and literal-slash paths are handled in one place.
    func repoAPI(_ type: RepoType, _ request: Request, _ parts: [Substring], _ caller: Caller) async throws -> Response {
        do {
            guard parts.count >= 2 else { throw HubError.repoNotFound(parts.map(String.init).joined(separator: "/")) }
            let ns = decoded(parts[0]), name = decoded(parts[1])
            let rest = parts.dropFirst(2).map(decoded)
            let method = request.method
            switch (method, rest.first ?? "") {
            case (.get, ""), (.head, ""):
                return try await repoInfo(type, ns, name, revision: "main", request, caller)
            case (.get, "revision"), (.head, "revision"):
                return try await repoInfo(type, ns, name, revision: rest.dropFirst().joined(separator: "/"), request, caller)
            case (.get, "tree"):
                guard rest.count >= 2 else { throw HubError.revisionNotFound("") }
                return try await tree(type, ns, name, revision: rest[1], path: rest.dropFirst(2).joined(separator: "/"), request, caller)
            case (.post, "paths-info"):
                return try await pathsInfo(type, ns, name, revision: rest.dropFirst().joined(separator: "/"), request, caller)
            case (.post, "preupload"):
                return try await preupload(type, ns, name, revision: rest.dropFirst().joined(separator: "/"), request, caller)
            case (.post, "commit"):
                return try await commits.commit(type, ns, name, revision: rest.dropFirst().joined(separator: "/"), request, caller)
            case (.post, "branch"), (.delete, "branch"):
                return try await branch(type, ns, name, branch: rest.dropFirst().joined(separator: "/"), request, caller)
            case (.get, "refs"):
                return try await listRefs(type, ns, name, request, caller)
            case (.get, "commits"):
                return try await listCommits(type, ns, name, revision: rest.dropFirst().joined(separator: "/"), request, caller)
            case (_, "discussions"):
                return try await discussions(type, ns, name, Array(rest.dropFirst()), request, caller)
            case (.put, "settings"):
                return try await settings(type, ns, name, request, caller)
            default:
                throw HubError(.notFound, code: .entryNotFound, "No such hub API: \(method) \(request.uri.path)")
            }
        } catch {
            throw HubError.from(error)
        }
    }

    // MARK: whoami and listing

    func whoami(_ request: Request, _ caller: Caller) async throws -> Response {
        guard let user = caller.user, let token = caller.token else {
            throw HubError(.unauthorized, code: .unauthorized, "Invalid user token: send 'Authorization: Bearer hf_...'")
        }
        return json(WhoamiJSON(
            id: user.name, name: user.name, fullname: user.name, orgs: caller.orgs.map(whoamiOrg),
            auth: .init(accessToken: .init(displayName: token.displayName, role: token.canWrite ? "write" : "read",
                                           createdAt: HubServer.iso8601(token.createdAt)))))
    }

    func whoamiOrg(_ membership: (org: OrgRecord, role: OrgRole)) -> WhoamiOrgJSON {
        WhoamiOrgJSON(id: membership.org.name, name: membership.org.name, fullname: membership.org.fullname,
                      roleInOrg: membership.role.rawValue)
    }

    func listRepos(_ type: RepoType, _ request: Request, _ caller: Caller) async throws -> Response {
        let q = request.uri.queryParameters
        let limit = min(max(Int(q["limit"].map(String.init) ?? "") ?? 1000, 1), 1000)
        let offset = max(Int(q["cursor"].map(String.init) ?? "") ?? 0, 0)
        let author = q["author"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let search = q["search"].map(String.init)
        let repos = try await database.listRepos(type: type, author: author, search: search, limit: limit + 1, offset: offset,
                                                 viewerNamespaces: caller.namespaces, allPrivate: caller.isAdmin)
        var local: [RepoListItemJSON] = []
        for repo in repos.prefix(limit) {
            local.append(RepoListItemJSON(_id: repo.id, id: repo.fullName, author: repo.namespace, private: repo.isPrivate,
                                          lastModified: HubServer.iso8601(repo.lastModified), createdAt: HubServer.iso8601(repo.createdAt),
                                          modelId: type == .model ? repo.fullName : nil,
                                          sha: try await database.resolve(repoID: repo.id, revision: "main")?.id))
        }
        let items = await fallback.mergedList(type, request, local)
        var headers = HTTPFields()
        if repos.count > limit {
            headers[.link] = "<\(nextPageURL(request, cursor: offset + limit))>; rel=\"next\""
        }
        return json(items, headers: headers)
    }

    /// The same URL, absolute, with every query parameter repeated and `cursor` replaced.
    func nextPageURL(_ request: Request, cursor: Int) -> String {
        var query = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("cursor=") }.map(String.init)
        query.append("cursor=\(cursor)")
        return origin(request) + request.uri.path + "?" + query.joined(separator: "&")
    }

    // MARK: repo info

    func repoInfo(_ type: RepoType, _ ns: String, _ name: String, revision: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        let commit = try await repos.commit(repo, revision)
        let files = try await database.files(commitID: commit.id)
        let blobs = request.uri.queryParameters["blobs"].map(isTrue) ?? false
        let siblings = files.map { f in
            var s = RepoSiblingJSON(rfilename: f.path)
            if blobs {
                s.size = f.size
                s.blobId = f.gitOID
                if f.isLFS { s.lfs = .init(sha256: f.sha256, size: f.size, pointerSize: lfsPointer(sha256: f.sha256, size: f.size).count) }
            }
            return s
        }
        var info = RepoInfoJSON(mongoID: repo.id, id: repo.fullName, author: repo.namespace, sha: commit.id, isPrivate: repo.isPrivate,
                                lastModified: HubServer.iso8601(commit.createdAt), createdAt: HubServer.iso8601(repo.createdAt), siblings: siblings)
        if type == .model { info.modelId = repo.fullName }
        if blobs { info.usedStorage = files.reduce(Int64(0)) { $0 + $1.size } }
        var headers = HTTPFields()
        headers[.xRepoCommit] = commit.id
        return json(info, headers: headers)
    }

    // MARK: tree and paths-info

    func fileEntry(_ f: FileRecord, expand: Bool, commits: [String: CommitRecord]) -> TreeEntryJSON {
        var e = TreeEntryJSON(type: "file", oid: f.gitOID, size: f.size, path: f.path, cid: f.cid)
        if f.isLFS { e.lfs = .init(oid: f.sha256, size: f.size, pointerSize: lfsPointer(sha256: f.sha256, size: f.size).count) }
        if expand, let c = commits[f.lastCommitID] {
            e.lastCommit = .init(id: c.id, title: c.title, date: HubServer.iso8601(c.createdAt))
        }
        return e
    }

    func directoryEntry(_ path: String, files: [FileRecord]) -> TreeEntryJSON {
        let prefix = path + "/"
        var h = [UInt8]()
        for f in files where f.path.hasPrefix(prefix) { h += Array("\(f.path)\0\(f.gitOID)\n".utf8) }
        return TreeEntryJSON(type: "directory", oid: GitObjectHasher.blobHex(h), size: 0, path: path)
    }

    func lastCommits(_ files: [FileRecord], expand: Bool) async throws -> [String: CommitRecord] {
        guard expand else { return [:] }
        var out: [String: CommitRecord] = [:]
        for id in Set(files.map(\.lastCommitID)) where !id.isEmpty {
            if let c = try await database.commit(id: id) { out[id] = c }
        }
        return out
    }

    func tree(_ type: RepoType, _ ns: String, _ name: String, revision: String, path rawPath: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        let commit = try await repos.commit(repo, revision)
        let files = try await database.files(commitID: commit.id)
        let q = request.uri.queryParameters
        let recursive = q["recursive"].map(isTrue) ?? false
        let expand = q["expand"].map(isTrue) ?? false
        let path = rawPath.hasSuffix("/") ? String(rawPath.dropLast()) : rawPath
        let prefix = path.isEmpty ? "" : path + "/"
        let under = files.filter { $0.path.hasPrefix(prefix) }
        if !path.isEmpty && under.isEmpty {
            throw HubError.entryNotFound(path, commit: commit.id)
        }
        // Entries in path order; directories appear where their first file would.
        var entries: [(path: String, file: FileRecord?)] = []
        var seenDirs = Set<String>()
        for f in under {
            let rel = f.path.dropFirst(prefix.count)
            let comps = rel.split(separator: "/")
            let dirDepth = recursive ? comps.count - 1 : min(comps.count - 1, 1)
            for depth in 0..<max(dirDepth, 0) {
                let dir = prefix + comps[0...depth].joined(separator: "/")
                if seenDirs.insert(dir).inserted { entries.append((dir, nil)) }
            }
            if recursive || comps.count == 1 { entries.append((f.path, f)) }
        }
        let pageSize = min(max(Int(q["limit"].map(String.init) ?? "") ?? (expand ? 50 : 1000), 1), 1000)
        let offset = min(max(Int(q["cursor"].map(String.init) ?? "") ?? 0, 0), entries.count)
        let page = entries[offset..<min(offset + pageSize, entries.count)]
        let commits = try await lastCommits(page.compactMap(\.file), expand: expand)
        let items: [TreeEntryJSON] = page.map { e in
            e.file.map { fileEntry($0, expand: expand, commits: commits) } ?? directoryEntry(e.path, files: under)
        }
        var headers = HTTPFields()
        headers[.xRepoCommit] = commit.id
        if offset + pageSize < entries.count {
            headers[.link] = "<\(nextPageURL(request, cursor: offset + pageSize))>; rel=\"next\""
        }
        return json(items, headers: headers)
    }

    func pathsInfo(_ type: RepoType, _ ns: String, _ name: String, revision: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        let commit = try await repos.commit(repo, revision)
        let body = try await HubRequestBody.collect(request, limit: HubRequestBody.maxJSON)
        var paths: [String] = []
        var expand = false
        if request.headers[.contentType]?.contains("json") == true {
            // A body that is not a JSON object asks for nothing rather than failing.
            let form = try? JSONDecoder().decode(PathsInfoRequest.self, from: Data(body.readableBytesView))
            paths = form?.paths ?? []
            expand = form?.expand ?? false
        } else {
            for (k, v) in parseForm(String(buffer: body)) {
                if k == "paths" { paths.append(v) } else if k == "expand" { expand = isTrue(v) }
            }
        }
        let files = try await database.files(commitID: commit.id)
        let byPath = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let commits = try await lastCommits(paths.compactMap { byPath[$0] }, expand: expand)
        var items: [TreeEntryJSON] = []
        for raw in paths {
            let p = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
            if let f = byPath[p] {
                items.append(fileEntry(f, expand: expand, commits: commits))
            } else if !p.isEmpty, files.contains(where: { $0.path.hasPrefix(p + "/") }) {
                items.append(directoryEntry(p, files: files))
            }
        }
        var headers = HTTPFields()
        headers[.xRepoCommit] = commit.id
        return json(items, headers: headers)
    }
}

/// `application/x-www-form-urlencoded` pairs, in order.
func parseForm(_ body: String) -> [(String, String)] {
    body.split(separator: "&").compactMap { pair in
        let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func dec(_ s: Substring) -> String { (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? String(s) }
        guard let k = kv.first else { return nil }
        return (dec(k), kv.count > 1 ? dec(kv[1]) : "")
    }
}
