/// Answers of `/admin/api/fallback-sources` (snake_case, as the Python hub this API mirrors).
/// The request side stays a dictionary: the admin portal's forms (Sources/Hub/Web) share those operations.

/// A source as the running fallback sees it, from configuration or the database; never its token.
struct FallbackSourceJSON: Encodable, Sendable {
    var id: String
    var name: String
    var url: String
    var sourceType: String
    var priority: Int
    var namespace: String
    var enabled: Bool
    var hasToken: Bool
    var origin: String

    enum CodingKeys: String, CodingKey {
        case id, name, url, priority, namespace, enabled, origin
        case sourceType = "source_type", hasToken = "has_token"
    }
}

/// A stored database source; never its token.
struct FallbackSourceRecordJSON: Encodable, Sendable {
    var id: String
    var name: String
    var url: String
    var sourceType: String
    var priority: Int64
    var namespace: String
    var enabled: Bool
    var hasToken: Bool
    var origin = "database"
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, url, priority, namespace, enabled, origin
        case sourceType = "source_type", hasToken = "has_token", createdAt = "created_at"
    }
}

struct FallbackCacheClearedJSON: Encodable, Sendable {
    var cleared = true
}

/// `GET /admin/api/fallback-sources/cache/stats`: the source-binding cache.
struct FallbackCacheStatsJSON: Encodable, Sendable {
    var size: Int
    var maxsize: Int
    var ttl_seconds: Double
    var usage_percent: Double
    var hits: Int
    var misses: Int
    var hit_rate: Double
}
