import Crypto
import Foundation
import GRDB
import HubDatabase

/// An API key as stored: only its SHA-256 is kept; `keyID` is the hash's first 16 hex digits.
public struct APIKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "model_server_api_keys"

    public var keyID: String
    public var keyHash: String
    public var name: String
    /// Requests per minute; nil: the server's default.
    public var rateLimit: Int?
    /// nil: every model.
    public var allowedModels: [String]?
    public var priority: String?
    public var createdAt: Date
    public var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case keyID = "key_id", keyHash = "key_hash", name, rateLimit = "rate_limit"
        case allowedModels = "allowed_models", priority, createdAt = "created_at", revokedAt = "revoked_at"
    }

    public var isRevoked: Bool { revokedAt != nil }

    var publicJSON: [String: Any] {
        let f = ISO8601DateFormatter()
        return ["key_id": keyID, "name": name, "rate_limit": rateLimit as Any? ?? NSNull(),
                "allowed_models": allowedModels as Any? ?? NSNull(), "priority": priority ?? "NORMAL",
                "created_at": f.string(from: createdAt), "revoked": isRevoked,
                "revoked_at": revokedAt.map { f.string(from: $0) } as Any? ?? NSNull()]
    }
}

/// Keys in the data directory's database (the hub's `hub.sqlite`, in a table and migration of
/// the model server's own), mirrored in memory so checking a key costs no query.
public final class KeyStore: Sendable {
    private let db: any DatabaseWriter
    private let byHash: Locked<[String: APIKeyRecord]>

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("model_server_v1_api_keys") { db in
            try db.create(table: APIKeyRecord.databaseTableName) { t in
                t.primaryKey("key_id", .text)
                t.column("key_hash", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("rate_limit", .integer)
                t.column("allowed_models", .text)
                t.column("priority", .text)
                t.column("created_at", .datetime).notNull()
                t.column("revoked_at", .datetime)
            }
        }
        try migrator.migrate(pool)
        db = pool
        let all = try pool.read { try APIKeyRecord.fetchAll($0) }
        byHash = Locked(Dictionary(all.map { ($0.keyHash, $0) }, uniquingKeysWith: { a, _ in a }))
    }

    public static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new key; the clear text is returned once and never stored.
    public func generate(name: String, rateLimit: Int?, allowedModels: [String]?, priority: RequestPriority?) async throws -> (key: String, record: APIKeyRecord) {
        let key = "hf_" + HubDatabase.randomLettersAndDigits(32)
        let h = Self.hash(key)
        let record = APIKeyRecord(keyID: String(h.prefix(16)), keyHash: h, name: name, rateLimit: rateLimit,
                                  allowedModels: allowedModels, priority: priority?.name,
                                  createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)), revokedAt: nil)
        try await db.write { try record.insert($0) }
        byHash.withLock { $0[h] = record }
        return (key, record)
    }

    /// The record for a presented key (revoked ones too; the caller decides).
    public func lookup(_ key: String) -> APIKeyRecord? {
        let h = Self.hash(key)
        return byHash.withLock { $0[h] }
    }

    public func list() -> [APIKeyRecord] {
        byHash.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.keyID) < ($1.createdAt, $1.keyID) }
    }

    /// false when no such key exists.
    public func revoke(keyID: String) async throws -> Bool {
        guard var record = byHash.withLock({ $0.values.first { $0.keyID == keyID } }) else { return false }
        if record.revokedAt == nil {
            record.revokedAt = Date()
            let updated = record
            try await db.write { try updated.update($0) }
            byHash.withLock { $0[updated.keyHash] = updated }
        }
        return true
    }
}
