import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Primitives

/// A signed-in browser: the cookie names the token the user signed in with (by its sha256, which is what
/// the database keys tokens by), so revoking that token ends the session at once. The cookie is sealed
/// with an HMAC under a key derived from the hub's secret; nothing is kept server-side.
package struct WebSession: Equatable, Sendable {
    package var tokenSHA256: String
    /// Unix seconds.
    package var expires: Int64
    /// Random per session; forms carry an HMAC of it as their CSRF token.
    package var nonce: String

    package init(tokenSHA256: String, expires: Int64, nonce: String) {
        self.tokenSHA256 = tokenSHA256; self.expires = expires; self.nonce = nonce
    }
}

/// Seals and opens session cookies and derives CSRF tokens; one key for both, separated by labels.
package struct WebSeal: Sendable {
    let keyBytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    package static let lifetime: Int64 = 7 * 24 * 3600

    package init(secret: [UInt8]) {
        // A derived key: the hub secret also signs upload URLs and seals source tokens.
        let derived = HMAC<SHA256>.authenticationCode(for: Array("ipfs-accelerate web session v1".utf8), using: SymmetricKey(data: secret))
        keyBytes = Array(derived)
    }

    func mac(_ label: String, _ text: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array("\(label)\n\(text)".utf8), using: key))
    }

    package func seal(_ s: WebSession) -> String {
        let payload = Data("v1|\(s.tokenSHA256)|\(s.expires)|\(s.nonce)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return payload + "." + mac("session", payload)
    }

    package func open(_ cookie: String, now: Int64) -> WebSession? {
        let parts = cookie.split(separator: ".")
        guard parts.count == 2, constantTimeEqual(String(parts[1]), mac("session", String(parts[0]))) else { return nil }
        var b64 = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else { return nil }
        let f = text.split(separator: "|", omittingEmptySubsequences: false)
        guard f.count == 4, f[0] == "v1", let expires = Int64(f[2]), expires > now else { return nil }
        return WebSession(tokenSHA256: String(f[1]), expires: expires, nonce: String(f[3]))
    }

    package func csrfToken(nonce: String) -> String { mac("csrf", nonce) }

    package func checkCSRF(_ presented: String?, nonce: String) -> Bool {
        guard let presented, !nonce.isEmpty else { return false }
        return constantTimeEqual(presented, csrfToken(nonce: nonce))
    }
}

package func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

/// What a page needs to know about the browser asking for it.
struct WebVisit {
    var caller: Caller
    var session: WebSession?
    /// The CSRF nonce: the session's, or for a visitor not signed in, a random one kept in `hub_csrf`.
    var nonce: String
    /// Cookies the response must set (a new `hub_csrf`).
    var setCookies: [String] = []
    var csrf: String
    var signedIn: Bool { caller.user != nil }
}

extension WebController {
    static let sessionCookie = "hub_session"
    static let csrfCookie = "hub_csrf"

    static func cookies(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for field in request.headers where field.name == .cookie {
            for pair in field.value.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return out
    }

    /// `Secure` only when the page is served over https (a plain-http deployment must still be able to sign in).
    func cookieAttributes(_ request: Request) -> String {
        "; Path=/; HttpOnly; SameSite=Lax" + (origin(request).hasPrefix("https://") ? "; Secure" : "")
    }

    /// The visitor: a session cookie whose token still exists, else the caller of a valid Bearer
    /// token (scripts; HubAuthentication's `.optionalBearer`), else anonymous.
    func visit(_ request: Request, bearer: Caller) async throws -> WebVisit {
        let cookies = Self.cookies(request)
        if let raw = cookies[Self.sessionCookie], let session = seal.open(raw, now: Int64(Date().timeIntervalSince1970)),
           let (record, user) = try await database.token(sha256: session.tokenSHA256) {
            let orgs = try await database.orgMemberships(userName: user.name)
            return WebVisit(caller: Caller(user: user, token: record, orgs: orgs), session: session,
                            nonce: session.nonce, csrf: seal.csrfToken(nonce: session.nonce))
        }
        let caller = bearer
        if let nonce = cookies[Self.csrfCookie], nonce.count == 32, nonce.allSatisfy({ $0.isLetter || $0.isNumber }) {
            return WebVisit(caller: caller, nonce: nonce, csrf: seal.csrfToken(nonce: nonce))
        }
        let nonce = HubDatabase.randomLettersAndDigits(32)
        return WebVisit(caller: caller, nonce: nonce, setCookies: ["\(Self.csrfCookie)=\(nonce)\(cookieAttributes(request))"],
                        csrf: seal.csrfToken(nonce: nonce))
    }

    /// The fields of a form POST after its CSRF token (and, when the browser sends one, its Origin) checked out.
    func verifiedForm(_ request: Request, _ visit: WebVisit) async throws -> [String: String] {
        if let sent = request.headers[.origin], sent != "null", sent != origin(request) {
            throw HubError.forbidden("This form was sent from another site (\(sent))")
        }
        let body = try await HubRequestBody.collect(request, limit: 1 << 20)
        var fields: [String: String] = [:]
        for (k, v) in parseForm(String(buffer: body)) { fields[k] = v }
        guard seal.checkCSRF(fields["csrf"], nonce: visit.nonce) else {
            throw HubError.forbidden("The form's CSRF token is missing or stale: reload the page and try again")
        }
        return fields
    }
}
