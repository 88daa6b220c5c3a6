import Foundation

/// One take from a shared token bucket.
public struct RateTake: Sendable, Equatable {
    public var allowed: Bool
    /// Tokens left after the take, in thousandths.
    public var milliTokens: Int64
}

extension HubDatabase {
    /// True when other processes may share this database (PostgreSQL): state that must hold across
    /// processes (rate limits) lives in it then, and in memory otherwise.
    public var isShared: Bool { sql is PostgresExecutor }

    /// Takes one token from `bucket`, a token bucket of `limit` tokens refilled at `limit` per minute,
    /// as one transaction on the bucket's row: processes sharing the database draw from one bucket.
    /// `nowMillis` is the caller's wall clock (keep the machines on NTP; a clock behind the last take
    /// refills nothing rather than draining the bucket).
    public func takeRateToken(bucket: String, limit: Int, nowMillis: Int64) async throws -> RateTake {
        let full = Int64(max(limit, 0)) * 1000
        let lock = sql.rowLockClause
        return try await sql.transaction { tx in
            try await tx.execute("INSERT INTO rate_buckets (bucket, milli_tokens, updated_ms) VALUES (?, ?, ?) ON CONFLICT (bucket) DO NOTHING",
                                 [.text(bucket), .int(full), .int(nowMillis)])
            guard let row = try await tx.one("SELECT milli_tokens, updated_ms FROM rate_buckets WHERE bucket = ?\(lock)", [.text(bucket)]) else {
                throw HubDatabaseError.backend("rate bucket '\(bucket)' vanished inside its transaction")
            }
            let stored = try row.int("milli_tokens"), last = try row.int("updated_ms")
            // limit tokens per 60 000 ms is limit thousandths per 60 ms. The clock moves on only by the
            // time the whole thousandths gained stand for, so frequent takes lose no refill to rounding.
            let perMinute = Int64(max(limit, 0))
            let elapsed = max(0, nowMillis - last)
            let gained = elapsed * perMinute / 60
            var tokens = stored + gained
            var updated = last + (perMinute > 0 ? gained * 60 / perMinute : elapsed)
            if tokens >= full { (tokens, updated) = (full, max(nowMillis, last)) }
            let allowed = tokens >= 1000
            if allowed { tokens -= 1000 }
            try await tx.execute("UPDATE rate_buckets SET milli_tokens = ?, updated_ms = ? WHERE bucket = ?",
                                 [.int(tokens), .int(updated), .text(bucket)])
            return RateTake(allowed: allowed, milliTokens: tokens)
        }
    }
}
