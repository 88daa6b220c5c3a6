import Foundation
import HubDatabase

/// The model server's API keys: stored in the data directory's database (the hub's `hub.sqlite`,
/// table `api_keys` of `HubDatabase`'s schema) and mirrored in memory so checking a key costs no query.
public final class KeyStore: Sendable {
    private let db: HubDatabase
    private let byHash: Locked<[String: APIKeyRecord]>

    /// Opens (creating and migrating if needed) the SQLite file at `path` and loads its keys. Synchronous:
    /// the model server's initialiser, which makes the store, cannot await.
    public init(path: String) throws {
        db = try HubDatabase.sqliteNow(path: path)
        byHash = Locked(Self.index(try db.apiKeysNow()))
    }

    /// A store over an open database (either engine).
    public init(database: HubDatabase) async throws {
        db = database
        byHash = Locked(Self.index(try await database.apiKeys()))
    }

    private static func index(_ keys: [APIKeyRecord]) -> [String: APIKeyRecord] {
        Dictionary(keys.map { ($0.keyHash, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public static func hash(_ key: String) -> String {
        HubDatabase.tokenSHA256(key)
    }

    /// A new key; the clear text is returned once and never stored.
    public func generate(name: String, rateLimit: Int?, allowedModels: [String]?, priority: RequestPriority?) async throws -> (key: String, record: APIKeyRecord) {
        let key = "hf_" + HubDatabase.randomLettersAndDigits(32)
        let h = Self.hash(key)
        let record = APIKeyRecord(keyID: String(h.prefix(16)), keyHash: h, name: name, rateLimit: rateLimit,
                                  allowedModels: allowedModels, priority: priority?.name,
                                  createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)), revokedAt: nil)
        try await db.createAPIKey(record)
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
        guard let known = byHash.withLock({ $0.values.first { $0.keyID == keyID } }) else { return false }
        if known.isRevoked { return true }
        guard let stored = try await db.revokeAPIKey(keyID: keyID, at: Date()) else { return false }
        byHash.withLock { $0[stored.keyHash] = stored }
        return true
    }
}
