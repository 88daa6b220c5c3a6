import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase

/// Creating, deleting, moving and configuring repos, and the preupload question before a commit.
extension RepoAPIController {
    /// Reads `{name, organization, type}` as the client sends it; `name` may also hold `ns/name`.
    func repoIdentity(_ body: RepoIdentityRequest, caller: Caller) throws -> (RepoType, String, String) {
        let type = try body.type.map { raw -> RepoType in
            guard let t = RepoType(rawValue: raw) else { throw HubError.badRequest("Unknown repo type '\(raw)': use model, dataset or space") }
            return t
        } ?? .model
        guard var name = body.name, !name.isEmpty else { throw HubError.badRequest("'name' is required") }
        var ns = body.organization
        if let slash = name.firstIndex(of: "/") {
            ns = String(name[..<slash]); name = String(name[name.index(after: slash)...])
        }
        guard let namespace = ns ?? caller.name else {
            throw HubError(.unauthorized, code: .unauthorized, "Creating a repo needs a write token (or an 'organization')")
        }
        try validateRepoName(namespace, what: "namespace")
        try validateRepoName(name, what: "repo name")
        return (type, namespace, name)
    }

    func createRepo(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await HubRequestBody.decode(RepoIdentityRequest.self, request)
        let (type, ns, name) = try repoIdentity(body, caller: caller)
        guard caller.canWrite(namespace: ns) else {
            if caller.user == nil { throw HubError(.unauthorized, code: .unauthorized, "Creating a repo needs a write token") }
            throw HubError.forbidden("Your token cannot create repos in '\(ns)': it needs write access to that namespace")
        }
        let isPrivate = body.visibility.map { $0 == "private" } ?? (body.isPrivate ?? false)
        let url = origin.repoURL(request, type, ns, name)
        if try await database.repo(type: type, namespace: ns, name: name) != nil {
            return json(RepoExistsJSON(error: "You already created this \(type.rawValue) repo", url: url), status: .conflict)
        }
        let repoID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let now = Int64(Date().timeIntervalSince1970)
        let initial = CommitRecord(id: HubServer.newCommitID(repoID: repoID, parent: nil, title: "initial commit"), repoID: repoID,
                                   parentID: nil, title: "initial commit", message: "", author: caller.name ?? "", createdAt: now)
        do {
            _ = try await database.createRepo(type: type, namespace: ns, name: name, isPrivate: isPrivate, initialCommit: initial)
        } catch HubDatabaseError.alreadyExists {
            return json(RepoExistsJSON(error: "You already created this \(type.rawValue) repo", url: url), status: .conflict)
        }
        logger.info("created \(type.rawValue) repo \(ns)/\(name)\(isPrivate ? " (private)" : "")")
        return json(CreatedRepoJSON(url: url, name: "\(ns)/\(name)", id: repoID))
    }

    func deleteRepo(_ request: Request, _ caller: Caller) async throws -> Response {
        let (type, ns, name) = try repoIdentity(try await HubRequestBody.decode(RepoIdentityRequest.self, request), caller: caller)
        let repo = try await repos.administrable(type, ns, name, caller: caller)
        try await database.deleteRepo(id: repo.id)
        logger.info("deleted \(type.rawValue) repo \(ns)/\(name)")
        return json(EmptyJSONObject())
    }

    func moveRepo(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await HubRequestBody.decode(MoveRepoRequest.self, request)
        guard let from = body.fromRepo, let to = body.toRepo else {
            throw HubError.badRequest("'fromRepo' and 'toRepo' are required (as namespace/name)")
        }
        let type = RepoType(rawValue: body.type ?? "model") ?? .model
        let f = from.split(separator: "/").map(String.init), t = to.split(separator: "/").map(String.init)
        guard f.count == 2, t.count == 2 else { throw HubError.badRequest("Repo ids must be namespace/name") }
        try validateRepoName(t[0], what: "namespace")
        try validateRepoName(t[1], what: "repo name")
        let repo = try await repos.administrable(type, f[0], f[1], caller: caller)
        guard caller.canWrite(namespace: t[0]) else { throw HubError.forbidden("Your token cannot write to '\(t[0])'") }
        do {
            try await database.moveRepo(id: repo.id, toNamespace: t[0], toName: t[1])
        } catch {
            throw HubError.from(error)
        }
        return json(MovedRepoJSON(url: origin.repoURL(request, type, t[0], t[1])))
    }

    func settings(_ type: RepoType, _ ns: String, _ name: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.writable(type, ns, name, caller: caller)
        let body = try await HubRequestBody.decode(RepoIdentityRequest.self, request)
        if let p = body.isPrivate {
            try await database.setPrivate(id: repo.id, isPrivate: p)
        } else if let v = body.visibility {
            try await database.setPrivate(id: repo.id, isPrivate: v == "private")
        }
        return json(EmptyJSONObject())
    }

    func validateYAML(_ request: Request) async throws -> Response {
        guard let content = try await HubRequestBody.decode(ValidateYAMLRequest.self, request).content else {
            return json(YAMLValidationJSON(errors: [.init(message: "'content' is required")]), status: .badRequest)
        }
        // A card's metadata block opens with '---' and must be closed by another '---' line.
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.first?.trimmingCharacters(in: .whitespaces) == "---",
           !lines.dropFirst().contains(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) {
            return json(YAMLValidationJSON(errors: [.init(message: "The YAML metadata block is not closed by a '---' line")]),
                        status: .badRequest)
        }
        return json(YAMLValidationJSON(errors: []))
    }

    func preupload(_ type: RepoType, _ ns: String, _ name: String, revision: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.writable(type, ns, name, caller: caller)
        let createPR = request.uri.queryParameters["create_pr"].map(isTrue) ?? false
        let commit = try await repos.commit(repo, createPR ? "main" : revision)
        guard let files = try await HubRequestBody.decode(PreuploadRequest.self, request).files else { throw HubError.badRequest("'files' must be a list") }
        guard files.count <= 1000 else { throw HubError.badRequest("At most 1000 files per preupload call") }
        var answer: [PreuploadJSON.File] = []
        for f in files {
            guard let path = f.path else { throw HubError.badRequest("Every file needs a 'path'") }
            try validateRepoPath(path)
            let size = f.size ?? 0
            let sample = f.sample.flatMap { Data(base64Encoded: $0) } ?? Data()
            var mode = "regular"
            if case .lfs(let threshold) = uploadMode, size > 0, size >= threshold || sample.contains(0) { mode = "lfs" }
            var entry = PreuploadJSON.File(path: path, uploadMode: mode)
            if let existing = try await database.file(commitID: commit.id, path: path) {
                entry.oid = mode == "lfs" ? existing.sha256 : existing.gitOID
            }
            answer.append(entry)
        }
        return json(PreuploadJSON(files: answer, commitOid: commit.id))
    }
}
