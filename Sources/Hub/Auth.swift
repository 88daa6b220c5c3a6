import Foundation
import Hummingbird
import HubDatabase

/// Who is calling: anonymous, or a user through one of their tokens.
struct Caller: Sendable {
    var user: UserRecord?
    var token: TokenRecord?

    static let anonymous = Caller(user: nil, token: nil)

    var name: String? { user?.name }
    var isAdmin: Bool { user?.isAdmin ?? false }
    /// Namespaces whose private repos this caller may read (organisations are not modelled: a user's own name).
    var namespaces: [String] { user.map { [$0.name] } ?? [] }

    func canRead(_ repo: RepoRecord) -> Bool {
        !repo.isPrivate || isAdmin || namespaces.contains(repo.namespace)
    }

    /// Writes need a write token, for the caller's own namespace (admins: any).
    func canWrite(namespace: String) -> Bool {
        guard let token, token.canWrite, let user else { return false }
        return user.isAdmin || user.name == namespace
    }
}

extension HubServer {
    /// Reads `Authorization: Bearer hf_...`. A token that is present but unknown is refused (401)
    /// rather than silently treated as anonymous, so a typo is noticed.
    func caller(_ request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization] else { return .anonymous }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HubError.unauthorized("Authorization must be 'Bearer <token>'")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard let (record, user) = try await database.token(sha256: HubDatabase.tokenSHA256(token)) else {
            throw HubError(.unauthorized, code: "RepoNotFound", "Invalid credentials in Authorization header")
        }
        return Caller(user: user, token: record)
    }

    /// The repo if it exists and the caller may read it; otherwise RepoNotFound (private repos stay invisible).
    func readableRepo(_ type: RepoType, _ namespace: String, _ name: String, caller: Caller) async throws -> RepoRecord {
        guard let repo = try await database.repo(type: type, namespace: namespace, name: name), caller.canRead(repo) else {
            throw HubError.repoNotFound("\(namespace)/\(name)")
        }
        return repo
    }

    /// The repo if the caller may write to it. A caller who may read but not write gets 403; others 404.
    func writableRepo(_ type: RepoType, _ namespace: String, _ name: String, caller: Caller) async throws -> RepoRecord {
        let repo = try await readableRepo(type, namespace, name, caller: caller)
        guard caller.canWrite(namespace: namespace) else {
            if caller.user == nil {
                throw HubError(.unauthorized, code: "RepoNotFound", "Writing to \(namespace)/\(name) needs a write token")
            }
            throw HubError.forbidden("Your token cannot write to \(namespace)/\(name): it needs a write token of '\(namespace)'")
        }
        return repo
    }
}
