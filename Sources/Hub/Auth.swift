import Foundation
import Hummingbird
import HubDatabase

/// Who is calling: anonymous, or a user through one of their tokens, with the orgs the user belongs to.
struct Caller: Sendable {
    var user: UserRecord?
    var token: TokenRecord?
    /// The user's organisations and the role in each, read once when the token is checked so that every
    /// permission question below stays a synchronous lookup.
    var orgs: [(org: OrgRecord, role: OrgRole)] = []

    static let anonymous = Caller(user: nil, token: nil)

    var name: String? { user?.name }
    var isAdmin: Bool { user?.isAdmin ?? false }
    /// Namespaces whose private repos this caller may read: the user's own and those of every org they belong to (any role).
    var namespaces: [String] { user.map { [$0.name] + orgs.map(\.org.name) } ?? [] }

    /// The caller's role in `namespace` if it is one of their orgs.
    func role(in namespace: String) -> OrgRole? { orgs.first { $0.org.name == namespace }?.role }

    func canRead(_ repo: RepoRecord) -> Bool {
        !repo.isPrivate || isAdmin || namespaces.contains(repo.namespace)
    }

    /// Writes (create repos, commit, upload, delete files) need a write token, for the caller's own
    /// namespace or an org where they have the write or admin role (admins: any).
    func canWrite(namespace: String) -> Bool {
        has(.write, in: namespace)
    }

    /// Deleting and moving repos: as `canWrite`, but in an org only with the admin role.
    func canAdminister(namespace: String) -> Bool {
        has(.admin, in: namespace)
    }

    private func has(_ needed: OrgRole, in namespace: String) -> Bool {
        guard let token, token.canWrite, let user else { return false }
        if user.isAdmin || user.name == namespace { return true }
        return role(in: namespace).map { $0 >= needed } ?? false
    }

    /// Why `canWrite`/`canAdminister` said no, in words that tell the user what to ask for.
    func refusal(_ needed: OrgRole, _ namespace: String, _ what: String) -> String {
        if let role = role(in: namespace), role < needed {
            return "Your role in the organisation '\(namespace)' is \(role.rawValue); \(what) needs the \(needed.rawValue) role (ask an admin of '\(namespace)')"
        }
        if token?.canWrite == false {
            return "Your token is read-only; \(what) needs a write token"
        }
        return "Your token cannot \(what): it needs a write token of '\(namespace)', or if that is an organisation, of a member with the \(needed.rawValue) role"
    }
}

/// Turns a presented token into its `Caller` (HubAuthentication's credentials, the web sign-in).
struct Authenticator: Sendable {
    let database: HubDatabase

    /// The caller a token stands for, with their organisations; `unknown` is the 401 message for a token
    /// this hub never issued (or has revoked).
    func caller(token: String, unknown: String) async throws -> Caller {
        guard let (record, user) = try await database.token(sha256: HubDatabase.tokenSHA256(token)) else {
            throw HubError(.unauthorized, code: .repoNotFound, unknown)
        }
        let orgs = try await database.orgMemberships(userName: user.name)
        return Caller(user: user, token: record, orgs: orgs)
    }
}
