import Foundation

/// A model-server API key as stored: only its SHA-256 is kept; `keyID` is the hash's first 16 hex digits.
public struct APIKeyRecord: Sendable, Equatable {
    public var keyID: String
    public var keyHash: String
    public var name: String
    /// Requests per minute; nil: the server's default.
    public var rateLimit: Int?
    /// nil: every model.
    public var allowedModels: [String]?
    /// A request priority's name (`HIGH`, ...); nil: normal.
    public var priority: String?
    /// Whole seconds: the column holds Unix seconds.
    public var createdAt: Date
    public var revokedAt: Date?

    public init(keyID: String, keyHash: String, name: String, rateLimit: Int?, allowedModels: [String]?,
                priority: String?, createdAt: Date, revokedAt: Date?) {
        self.keyID = keyID; self.keyHash = keyHash; self.name = name; self.rateLimit = rateLimit
        self.allowedModels = allowedModels; self.priority = priority; self.createdAt = createdAt; self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}

/// The model server's API keys (`Schema` migration 5).
extension HubDatabase {
    static let apiKeyColumns = "key_id, key_hash, name, rate_limit, allowed_models, priority, created_at, revoked_at"

    public func createAPIKey(_ key: APIKeyRecord) async throws {
        let models = try key.allowedModels.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await sql.transaction { tx in
            if try await tx.one("SELECT key_id FROM api_keys WHERE key_id = ? OR key_hash = ?",
                                [.text(key.keyID), .text(key.keyHash)]) != nil {
                throw HubDatabaseError.alreadyExists("API key '\(key.keyID)'")
            }
            try await tx.execute("INSERT INTO api_keys (\(Self.apiKeyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                .text(key.keyID), .text(key.keyHash), .text(key.name), SQLValue(key.rateLimit.map(Int64.init)), SQLValue(models),
                SQLValue(key.priority), .int(Self.seconds(key.createdAt)), SQLValue(key.revokedAt.map(Self.seconds)),
            ])
        }
    }

    /// Every key, revoked ones too, oldest first.
    public func apiKeys() async throws -> [APIKeyRecord] {
        try await sql.read("SELECT \(Self.apiKeyColumns) FROM api_keys ORDER BY created_at, key_id", []).map(Self.apiKey)
    }

    /// `apiKeys()` for a caller that cannot await; SQLite only (see `SQLExecutor.readNow`).
    package func apiKeysNow() throws -> [APIKeyRecord] {
        try sql.readNow("SELECT \(Self.apiKeyColumns) FROM api_keys ORDER BY created_at, key_id", []).map(Self.apiKey)
    }

    /// The key whose SHA-256 hex is `hash` (revoked ones too; the caller decides).
    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await sql.read("SELECT \(Self.apiKeyColumns) FROM api_keys WHERE key_hash = ?", [.text(hash)]).first.map(Self.apiKey)
    }

    /// Marks the key revoked at `time` (whole seconds kept) unless it already is; returns the key as
    /// stored afterwards, nil when there is no such key.
    public func revokeAPIKey(keyID: String, at time: Date) async throws -> APIKeyRecord? {
        try await sql.transaction { tx in
            try await tx.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                                 [.int(Self.seconds(time)), .text(keyID)])
            return try await tx.one("SELECT \(Self.apiKeyColumns) FROM api_keys WHERE key_id = ?", [.text(keyID)]).map(Self.apiKey)
        }
    }

    static func apiKey(_ r: SQLRow) throws -> APIKeyRecord {
        var models: [String]?
        if let json = try r.optionalText("allowed_models") {
            do { models = try JSONDecoder().decode([String].self, from: Data(json.utf8)) } catch {
                throw HubDatabaseError.backend("column 'allowed_models' is not a JSON array of names: \(json)")
            }
        }
        return APIKeyRecord(keyID: try r.text("key_id"), keyHash: try r.text("key_hash"), name: try r.text("name"),
                            rateLimit: try r.optionalInt("rate_limit").map { Int($0) }, allowedModels: models,
                            priority: try r.optionalText("priority"),
                            createdAt: Date(timeIntervalSince1970: TimeInterval(try r.int("created_at"))),
                            revokedAt: try r.optionalInt("revoked_at").map { Date(timeIntervalSince1970: TimeInterval($0)) })
    }

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
