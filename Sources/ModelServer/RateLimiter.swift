import Foundation
import HubDatabase
import Logging
import Primitives

/// Token-bucket rate limiting per caller: a bucket holds `limit` tokens and refills at
/// `limit` per minute, so a caller may burst to its limit and then sustain it.
public final class RateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        public var remaining: Int
        /// Seconds until the bucket is full again.
        public var resetSeconds: Double
        /// Seconds until one more request is allowed (0 when allowed).
        public var retryAfterSeconds: Double

        /// The X-RateLimit-* headers (Reset as a Unix time) plus Retry-After when refused.
        public func headers(wallClock: Double = Date().timeIntervalSince1970) -> [String: String] {
            var h = ["X-RateLimit-Limit": String(limit),
                     "X-RateLimit-Remaining": String(remaining),
                     "X-RateLimit-Reset": String(Int((wallClock + resetSeconds).rounded(.up)))]
            if !allowed { h["Retry-After"] = String(max(1, Int(retryAfterSeconds.rounded(.up)))) }
            return h
        }
    }

    private struct Bucket { var tokens: Double; var last: Double; var limit: Int }
    private let buckets = Locked([String: Bucket]())
    private let clock: MonotonicClock

    public init(clock: @escaping MonotonicClock = systemMonotonicClock) {
        self.clock = clock
    }

    /// Takes one token from `key`'s bucket of `limit` requests per minute.
    public func check(key: String, limit: Int) -> Decision {
        let now = clock()
        let perSecond = Double(limit) / 60
        return buckets.withLock { all in
            var b = all[key] ?? Bucket(tokens: Double(limit), last: now, limit: limit)
            if b.limit != limit {  // a changed limit keeps the caller's used fraction
                b.tokens = b.tokens / Double(max(b.limit, 1)) * Double(limit)
                b.limit = limit
            }
            b.tokens = min(Double(limit), b.tokens + (now - b.last) * perSecond)
            b.last = now
            let allowed = b.tokens >= 1
            if allowed { b.tokens -= 1 }
            all[key] = b
            return Decision(allowed: allowed, limit: limit, tokensLeft: b.tokens)
        }
    }
}

extension RateLimiter.Decision {
    /// The answer for a bucket of `limit` per minute holding `tokens` after this request's take
    /// (both the in-memory and the shared buckets answer through it).
    init(allowed: Bool, limit: Int, tokensLeft tokens: Double) {
        let perSecond = Double(max(limit, 1)) / 60
        self.init(allowed: allowed, limit: limit, remaining: Int(tokens.rounded(.down)),
                  resetSeconds: (Double(limit) - tokens) / perSecond,
                  retryAfterSeconds: allowed ? 0 : (1 - tokens) / perSecond)
    }
}

/// Where the rate-limit buckets live: this process's memory (`RateLimiter`), or the database every
/// `serve` process shares (`SharedRateLimiter`), so that a key's limit holds for the whole deployment.
public protocol RateLimiting: Sendable {
    /// Takes one request from `key`'s bucket of `limit` requests per minute.
    func check(key: String, limit: Int) async -> RateLimiter.Decision
}

extension RateLimiter: RateLimiting {}

/// Token buckets in the shared database (PostgreSQL): N processes behind a load balancer allow a key
/// its limit in all, not N times it. One short transaction per request. When the database does not
/// answer within `timeout`, this process's own buckets decide, so an outage neither blocks every
/// request nor lifts the limits.
public final class SharedRateLimiter: RateLimiting {
    let database: HubDatabase
    let local: RateLimiter
    let timeout: Double
    let logger: Logger

    public init(database: HubDatabase, timeout: Double = 1, logger: Logger = Logger(label: "ipfs-accelerate.modelserver")) {
        self.database = database
        self.local = RateLimiter()
        self.timeout = timeout
        self.logger = logger
    }

    public func check(key: String, limit: Int) async -> RateLimiter.Decision {
        let database = self.database
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        do {
            let take = try await withTimeout(timeout, what: "the shared rate limit") {
                try await database.takeRateToken(bucket: "model_server:" + key, limit: limit, nowMillis: now)
            }
            return RateLimiter.Decision(allowed: take.allowed, limit: limit, tokensLeft: Double(take.milliTokens) / 1000)
        } catch {
            logger.warning("shared rate limit unavailable, this process's own limit applies: \(error)")
            return local.check(key: key, limit: limit)
        }
    }
}
