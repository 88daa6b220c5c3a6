import Foundation

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
            let missing = Double(limit) - b.tokens
            return Decision(allowed: allowed, limit: limit, remaining: Int(b.tokens.rounded(.down)),
                            resetSeconds: missing / perSecond,
                            retryAfterSeconds: allowed ? 0 : (1 - b.tokens) / perSecond)
        }
    }
}
