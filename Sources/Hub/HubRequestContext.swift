import Foundation
import Hummingbird

/// The context of every hub route: Hummingbird's core context plus who is calling.
///
/// Hub routes live in groups of the shared router (the Kubo RPC and the model server keep
/// `BasicRequestContext`); a group's `HubAuthentication` middleware sets `caller` before any
/// handler runs, so handlers ask the context rather than reading credentials themselves.
struct HubRequestContext: ChildRequestContext {
    typealias ParentContext = BasicRequestContext
    var coreContext: CoreRequestContextStorage
    /// Anonymous unless the group's middleware found valid credentials.
    var caller: Caller = .anonymous

    init(context: BasicRequestContext) {
        coreContext = context.coreContext
    }
}

/// A group of hub routes on the shared router.
typealias HubRouter = RouterGroup<HubRequestContext>

/// Reads the caller's credentials into `HubRequestContext.caller`.
///
/// No credentials: anonymous. Credentials that are malformed, unknown or revoked: 401, never a
/// silent fall back to anonymous, so that a typo in a token is noticed.
struct HubAuthentication: RouterMiddleware {
    enum Accepted: Sendable {
        /// `Authorization: Bearer <token>`, as huggingface_hub sends it.
        case bearer
        /// Also git's `Basic base64(user:token)`, the token as the password (git and git-lfs).
        case bearerOrBasic
        /// As `bearerOrBasic`, and a refusal is answered in git's form with a `Basic` challenge,
        /// so that `git` asks for credentials (or its helper supplies them) and retries.
        case git
        /// A valid Bearer token's caller, anything else anonymous: the web pages, where a stale
        /// token in a script must not hide a public page (the session cookie is read by the page).
        case optionalBearer
    }

    let authenticator: Authenticator
    let accepted: Accepted
    /// Git's plain-text refusal (GitController.answer), for the `.git` routes.
    let gitRefusal: @Sendable (_ message: String) -> Response

    func handle(_ request: Request, context: HubRequestContext,
                next: (Request, HubRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.caller = try await caller(request)
        } catch let error as HubError where error.status == .unauthorized && accepted == .optionalBearer {
            context.caller = .anonymous
        } catch let error as HubError where error.status == .unauthorized && accepted == .git {
            return gitRefusal(error.message)
        }
        return try await next(request, context)
    }

    private func caller(_ request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization] else { return .anonymous }
        let parts = header.split(separator: " ", maxSplits: 1)
        let scheme = parts.first?.lowercased() ?? ""
        if parts.count == 2, scheme == "bearer" {
            return try await authenticator.caller(token: parts[1].trimmingCharacters(in: .whitespaces),
                                        unknown: "Invalid credentials in Authorization header")
        }
        guard accepted == .bearerOrBasic || accepted == .git, parts.count == 2, scheme == "basic" else {
            throw HubError.unauthorized("Authorization must be 'Bearer <token>'")
        }
        guard let decoded = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
              let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":") else {
            throw HubError.unauthorized("Basic credentials must be base64 of 'user:token'")
        }
        // Same lookup as Bearer, organisations included (git access follows the caller's org roles).
        return try await authenticator.caller(token: String(pair[pair.index(after: colon)...]),
                                    unknown: "Invalid credentials: use a hub token as the password")
    }
}
