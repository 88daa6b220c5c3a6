import Crypto
import Foundation
import HTTPTypes
import HubDatabase
import Hummingbird

/// Who is calling, as far as the controls care.
struct Caller: Sendable {
    var key: APIKeyRecord?
    var isAdmin: Bool
    /// The rate-limit bucket: the key id, or the admin, or everyone without a key.
    var bucket: String
    var rateLimit: Int
    var priority: RequestPriority
    /// X-RateLimit-* headers for the answer (empty when rate limiting is off).
    var rateHeaders: [String: String] = [:]
}

extension ModelServer {
    /// The key presented: `Authorization: Bearer` wins over `X-API-Key`.
    static func presentedKey(_ request: Request) -> String? {
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                if !token.isEmpty { return token }
            }
        }
        if let name = HTTPField.Name("X-API-Key"), let key = request.headers[name]?.trimmingCharacters(in: .whitespaces), !key.isEmpty {
            return key
        }
        return nil
    }

    func isAdminKey(_ key: String) -> Bool {
        guard let admin = config.adminAPIKey else { return false }
        // Compare digests so the time taken tells nothing about the admin key.
        let a = Array(SHA256.hash(data: Data(key.utf8)))
        let b = Array(SHA256.hash(data: Data(admin.utf8)))
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func unauthorized(_ message: String, code: String = "invalid_api_key") -> APIError {
        APIError(status: .unauthorized, message: message, type: "authentication_error", code: code,
                 headers: ["WWW-Authenticate": "Bearer"])
    }

    /// Authentication, per-key model permission, rate limit and priority for a /v1 or /models request.
    func authorize(_ request: Request, model: String?) async throws(APIError) -> Caller {
        var caller = Caller(key: nil, isAdmin: false, bucket: "anonymous", rateLimit: config.defaultRateLimit, priority: .normal)
        if config.enableAuth, let presented = Self.presentedKey(request) {
            if isAdminKey(presented) {
                caller.isAdmin = true
                caller.bucket = "admin"
            } else if let record = try await lookupKey(presented), !record.isRevoked {
                caller.key = record
                caller.bucket = record.keyID
                caller.rateLimit = record.rateLimit ?? config.defaultRateLimit
                caller.priority = record.priority.flatMap(RequestPriority.init(name:)) ?? .normal
            } else {
                metrics.count("hf_server_auth_failures_total", ["reason": "invalid_key"])
                throw Self.unauthorized("Incorrect or revoked API key provided.")
            }
        } else if config.enableAuth && config.requireAuth {
            metrics.count("hf_server_auth_failures_total", ["reason": "missing_key"])
            throw Self.unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer hf_...' or 'X-API-Key'.",
                                    code: "missing_api_key")
        }
        if let model { try checkModelAllowed(caller, model) }
        if let header = request.headers[HTTPField.Name("X-Priority")!] {
            guard let p = RequestPriority(name: header) else {
                throw APIError.invalid("X-Priority must be LOW, NORMAL, HIGH or CRITICAL, got '\(header)'.", param: "X-Priority")
            }
            caller.priority = p
        }
        if config.enableRateLimiting && !caller.isAdmin {
            let decision = await rateLimiter.check(key: caller.bucket, limit: caller.rateLimit)
            caller.rateHeaders = decision.headers()
            if !decision.allowed {
                metrics.count("hf_server_rate_limited_total")
                throw APIError(status: .tooManyRequests,
                               message: "Rate limit reached: \(caller.rateLimit) requests per minute; retry after \(decision.headers()["Retry-After"] ?? "1") s.",
                               type: "rate_limit_error", code: "rate_limit_exceeded", headers: decision.headers())
            }
        }
        return caller
    }

    private func lookupKey(_ presented: String) async throws(APIError) -> APIKeyRecord? {
        guard let keys else { return nil }
        do { return try await keys.lookup(presented) } catch {
            logger.error("API key check failed: \(error)")
            throw APIError.unavailable("API keys cannot be checked right now: the key database does not answer. Retry shortly.",
                                      code: "key_store_unavailable", retryAfter: 2)
        }
    }

    func checkModelAllowed(_ caller: Caller, _ model: String) throws(APIError) {
        if let allowed = caller.key?.allowedModels, !allowed.contains(model) {
            throw APIError(status: .forbidden, message: "This API key may not use the model '\(model)'.",
                           type: "permission_error", param: "model", code: "model_not_allowed")
        }
    }

    /// Admin routes: the admin key or nothing (401 when absent, 403 when not the admin's).
    func authorizeAdmin(_ request: Request) throws(APIError) {
        guard let presented = Self.presentedKey(request) else {
            throw Self.unauthorized("Admin routes need the admin key (HF_SERVER_ADMIN_API_KEY) as a Bearer token.", code: "missing_api_key")
        }
        guard config.adminAPIKey != nil else {
            throw APIError(status: .forbidden, message: "Admin routes are disabled: set HF_SERVER_ADMIN_API_KEY to enable them.",
                           type: "permission_error", code: "admin_disabled")
        }
        guard isAdminKey(presented) else {
            throw APIError(status: .forbidden, message: "This key is not the admin key.", type: "permission_error", code: "not_admin")
        }
    }
}
