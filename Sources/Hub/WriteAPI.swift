import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase

extension HubServer {
    func repoURL(_ request: Request, _ type: RepoType, _ ns: String, _ name: String) -> String {
        origin(request) + (type == .model ? "" : "/\(type.plural)") + "/\(ns)/\(name)"
    }

    /// Reads `{name, organization, type}` as the client sends it; `name` may also hold `ns/name`.
    func repoIdentity(_ body: [String: Any], caller: Caller, nameKey: String = "name") throws -> (RepoType, String, String) {
        let type = try (body["type"] as? String).map { raw -> RepoType in
            guard let t = RepoType(rawValue: raw) else { throw HubError.badRequest("Unknown repo type '\(raw)': use model, dataset or space") }
            return t
        } ?? .model
        guard var name = body[nameKey] as? String, !name.isEmpty else { throw HubError.badRequest("'\(nameKey)' is required") }
        var ns = body["organization"] as? String
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
        let body = try await jsonBody(request)
        let (type, ns, name) = try repoIdentity(body, caller: caller)
        guard caller.canWrite(namespace: ns) else {
            if caller.user == nil { throw HubError(.unauthorized, code: .unauthorized, "Creating a repo needs a write token") }
            throw HubError.forbidden("Your token cannot create repos in '\(ns)': it needs write access to that namespace")
        }
        let isPrivate = (body["visibility"] as? String).map { $0 == "private" } ?? (body["private"] as? Bool ?? false)
        let url = repoURL(request, type, ns, name)
        if try await database.repo(type: type, namespace: ns, name: name) != nil {
            return json(["error": "You already created this \(type.rawValue) repo", "url": url], status: .conflict)
        }
        let repoID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let now = Int64(Date().timeIntervalSince1970)
        let initial = CommitRecord(id: Self.newCommitID(repoID: repoID, parent: nil, title: "initial commit"), repoID: repoID,
                                   parentID: nil, title: "initial commit", message: "", author: caller.name ?? "", createdAt: now)
        do {
            _ = try await database.createRepo(type: type, namespace: ns, name: name, isPrivate: isPrivate, initialCommit: initial)
        } catch HubDatabaseError.alreadyExists {
            return json(["error": "You already created this \(type.rawValue) repo", "url": url], status: .conflict)
        }
        logger.info("created \(type.rawValue) repo \(ns)/\(name)\(isPrivate ? " (private)" : "")")
        return json(["url": url, "name": "\(ns)/\(name)", "id": repoID])
    }

    func deleteRepo(_ request: Request, _ caller: Caller) async throws -> Response {
        let (type, ns, name) = try repoIdentity(try await jsonBody(request), caller: caller)
        let repo = try await administrableRepo(type, ns, name, caller: caller)
        try await database.deleteRepo(id: repo.id)
        logger.info("deleted \(type.rawValue) repo \(ns)/\(name)")
        return json([String: Any]())
    }

    func moveRepo(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await jsonBody(request)
        guard let from = body["fromRepo"] as? String, let to = body["toRepo"] as? String else {
            throw HubError.badRequest("'fromRepo' and 'toRepo' are required (as namespace/name)")
        }
        let type = RepoType(rawValue: body["type"] as? String ?? "model") ?? .model
        let f = from.split(separator: "/").map(String.init), t = to.split(separator: "/").map(String.init)
        guard f.count == 2, t.count == 2 else { throw HubError.badRequest("Repo ids must be namespace/name") }
        try validateRepoName(t[0], what: "namespace")
        try validateRepoName(t[1], what: "repo name")
        let repo = try await administrableRepo(type, f[0], f[1], caller: caller)
        guard caller.canWrite(namespace: t[0]) else { throw HubError.forbidden("Your token cannot write to '\(t[0])'") }
        do {
            try await database.moveRepo(id: repo.id, toNamespace: t[0], toName: t[1])
        } catch {
            throw HubError.from(error)
        }
        return json(["url": repoURL(request, type, t[0], t[1])])
    }

    func settings(_ type: RepoType, _ ns: String, _ name: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await writableRepo(type, ns, name, caller: caller)
        let body = try await jsonBody(request)
        if let p = body["private"] as? Bool {
            try await database.setPrivate(id: repo.id, isPrivate: p)
        } else if let v = body["visibility"] as? String {
            try await database.setPrivate(id: repo.id, isPrivate: v == "private")
        }
        return json([String: Any]())
    }

    func validateYAML(_ request: Request) async throws -> Response {
        let body = try await jsonBody(request)
        guard let content = body["content"] as? String else {
            return json(["errors": [["message": "'content' is required"]], "warnings": [] as [Any]], status: .badRequest)
        }
        // A card's metadata block opens with '---' and must be closed by another '---' line.
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.first?.trimmingCharacters(in: .whitespaces) == "---",
           !lines.dropFirst().contains(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) {
            return json(["errors": [["message": "The YAML metadata block is not closed by a '---' line"]], "warnings": [] as [Any]],
                        status: .badRequest)
        }
        return json(["errors": [] as [Any], "warnings": [] as [Any]])
    }

    func preupload(_ type: RepoType, _ ns: String, _ name: String, revision: String, _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await writableRepo(type, ns, name, caller: caller)
        let createPR = request.uri.queryParameters["create_pr"].map(isTrue) ?? false
        let commit = try await resolveRevision(repo, createPR ? "main" : revision)
        let body = try await jsonBody(request)
        guard let files = body["files"] as? [[String: Any]] else { throw HubError.badRequest("'files' must be a list") }
        guard files.count <= 1000 else { throw HubError.badRequest("At most 1000 files per preupload call") }
        var answer: [[String: Any]] = []
        for f in files {
            guard let path = f["path"] as? String else { throw HubError.badRequest("Every file needs a 'path'") }
            try validateRepoPath(path)
            let size = (f["size"] as? NSNumber)?.int64Value ?? 0
            let sample = (f["sample"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
            var mode = "regular"
            if case .lfs(let threshold) = uploadMode, size > 0, size >= threshold || sample.contains(0) { mode = "lfs" }
            var entry: [String: Any] = ["path": path, "uploadMode": mode, "shouldIgnore": false]
            if let existing = try await database.file(commitID: commit.id, path: path) {
                entry["oid"] = mode == "lfs" ? existing.sha256 : existing.gitOID
            }
            answer.append(entry)
        }
        return json(["files": answer, "commitOid": commit.id])
    }
}
