import HubDatabase

/// Repo lookups under a caller's permissions, for every controller that reads or writes a repo.
/// A private repo the caller may not read looks absent (RepoNotFound), never forbidden.
struct RepoAccess: Sendable {
    let database: HubDatabase

    /// The repo if it exists and the caller may read it; otherwise RepoNotFound.
    func readable(_ type: RepoType, _ namespace: String, _ name: String, caller: Caller) async throws -> RepoRecord {
        guard let repo = try await database.repo(type: type, namespace: namespace, name: name), caller.canRead(repo) else {
            throw HubError.repoNotFound("\(namespace)/\(name)")
        }
        return repo
    }

    /// The repo if the caller may write to it. A caller who may read but not write gets 403; others 404.
    func writable(_ type: RepoType, _ namespace: String, _ name: String, caller: Caller) async throws -> RepoRecord {
        try await permitted(type, namespace, name, caller: caller, needs: .write, "write to \(namespace)/\(name)")
    }

    /// The repo if the caller may delete or move it (in an org: the admin role); otherwise as `writable`.
    func administrable(_ type: RepoType, _ namespace: String, _ name: String, caller: Caller) async throws -> RepoRecord {
        try await permitted(type, namespace, name, caller: caller, needs: .admin, "delete or move \(namespace)/\(name)")
    }

    private func permitted(_ type: RepoType, _ namespace: String, _ name: String, caller: Caller,
                           needs role: OrgRole, _ what: String) async throws -> RepoRecord {
        let repo = try await readable(type, namespace, name, caller: caller)
        let allowed = role == .admin ? caller.canAdminister(namespace: namespace) : caller.canWrite(namespace: namespace)
        guard allowed else {
            if caller.user == nil {
                throw HubError(.unauthorized, code: .repoNotFound, "You need a write token to \(what)")
            }
            throw HubError.forbidden(caller.refusal(role, namespace, what))
        }
        return repo
    }

    /// The commit a revision of `repo` names (empty: `main`), or RevisionNotFound.
    func commit(_ repo: RepoRecord, _ revision: String) async throws -> CommitRecord {
        let rev = revision.isEmpty ? "main" : revision
        guard let commit = try await database.resolve(repoID: repo.id, revision: rev) else {
            throw HubError.revisionNotFound(rev)
        }
        return commit
    }
}
