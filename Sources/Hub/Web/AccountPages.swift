import Foundation
import Hummingbird
import HubDatabase
import Primitives

/// Signing in with a token, signing out, and the settings page where a user lists, creates and revokes tokens.
extension WebController {
    func addAccountRoutes(to router: HubRouter) {
        router.get("/-/login") { req, ctx in
            await self.page(req, ctx) { visit in
                .html(title: "Sign in", template: "login", data: LoginPage(next: Self.safeNext(req.uri.queryParameters["next"].map(String.init))))
            }
        }
        router.post("/-/login") { req, ctx in await self.page(req, ctx) { try await self.signIn(req, $0) } }
        router.post("/-/logout") { req, ctx in
            await self.page(req, ctx) { visit in
                _ = try await self.verifiedForm(req, visit)
                return .redirect("/", cookies: ["\(Self.sessionCookie)=\(self.cookieAttributes(req)); Max-Age=0"])
            }
        }
        router.get("/-/settings") { req, ctx in await self.page(req, ctx) { try await self.settingsPage(req, $0) } }
        router.post("/-/settings/tokens") { req, ctx in
            await self.page(req, ctx) { visit in
                let form = try await self.verifiedForm(req, visit)
                guard let user = visit.caller.user else { return Self.signInRedirect("/-/settings") }
                let name = (form["displayName"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, name.count <= 100 else { return try await self.settingsPage(req, visit, error: "Give the token a name (at most 100 characters)") }
                // A session opened with a read token cannot mint a write token.
                let write = form["write"] != nil && visit.caller.token?.canWrite == true
                let (token, hash) = HubDatabase.newToken()
                _ = try await self.database.createToken(userName: user.name, displayName: name, canWrite: write, tokenSHA256: hash)
                return try await self.settingsPage(req, visit, newToken: token)
            }
        }
        router.post("/-/settings/tokens/revoke") { req, ctx in
            await self.page(req, ctx) { visit in
                let form = try await self.verifiedForm(req, visit)
                guard let user = visit.caller.user else { return Self.signInRedirect("/-/settings") }
                let id = form["id"] ?? ""
                // Only the user's own tokens: ids of other users' tokens are refused as unknown.
                guard try await self.database.tokens(userName: user.name).contains(where: { $0.id == id }) else {
                    return try await self.settingsPage(req, visit, error: "No such token")
                }
                do { try await self.database.deleteToken(id: id) } catch { throw HubError.from(error) }
                if id == visit.caller.token?.id {
                    return .redirect("/", cookies: ["\(Self.sessionCookie)=\(self.cookieAttributes(req)); Max-Age=0"])
                }
                return .redirect("/-/settings")
            }
        }
    }

    static func signInRedirect(_ next: String) -> WebPage { .redirect("/-/login?next=" + PercentEncoding.encode(next)) }

    func signIn(_ request: Request, _ visit: WebVisit) async throws -> WebPage {
        let form = try await verifiedForm(request, visit)
        let next = Self.safeNext(form["next"])
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            _ = try await authenticator.caller(token: token, unknown: "This token is not known to this hub (or was revoked)")
        } catch let error as HubError where error.status == .unauthorized {
            return .html(title: "Sign in", template: "login", data: LoginPage(next: next, error: error.message), status: .unauthorized)
        }
        let session = WebSession(tokenSHA256: HubDatabase.tokenSHA256(token),
                                 expires: Int64(Date().timeIntervalSince1970) + WebSeal.lifetime,
                                 nonce: HubDatabase.randomLettersAndDigits(32))
        let cookie = "\(Self.sessionCookie)=\(seal.seal(session))\(cookieAttributes(request)); Max-Age=\(WebSeal.lifetime)"
        return .redirect(next, cookies: [cookie])
    }

    func settingsPage(_ request: Request, _ visit: WebVisit, newToken: String? = nil, error: String? = nil) async throws -> WebPage {
        guard let user = visit.caller.user else { return Self.signInRedirect("/-/settings") }
        let tokens = try await database.tokens(userName: user.name)
        let rows = tokens.map { t in
            SettingsPage.Token(id: t.id, displayName: t.displayName, role: t.canWrite ? "write" : "read",
                               created: Self.dateText(t.createdAt), current: t.id == visit.caller.token?.id)
        }
        return .html(title: "Settings", template: "settings",
                     data: SettingsPage(userName: user.name, canWrite: visit.caller.token?.canWrite == true, tokens: rows,
                                        newToken: newToken, error: error))
    }
}
