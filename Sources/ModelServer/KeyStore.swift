import Foundation
import HubDatabase

/// The model server's API keys: stored in the data directory's database (the hub's `hub.sqlite`,
/// table `api_keys` of `HubDatabase`'s schema, or the PostgreSQL every `serve` process shares).
///
/// The database is the truth; memory holds its recent answers. A key made, revoked or changed
/// through any process sharing the database takes effect here within `freshness`: a key this
/// process has not seen is looked up at once, a known one is read again once its answer is older.
public final class KeyStore: Sendable {
    private let db: HubDatabase
    /// How long an answer of the database (a key, or that no key has a hash) is used without asking again.
    public let freshness: Duration
    /// How long a known key's last answer still stands in for a database that cannot be reached.
    public let outageGrace: Duration

    private struct Answer {
        var record: APIKeyRecord?
        var readAt: ContinuousClock.Instant
    }
    private let answers: Locked<[String: Answer]>
    /// Unknown hashes remembered at most (random keys must not grow memory without bound).
    private static let maxAnswers = 10_000

    /// Opens (creating and migrating if needed) the SQLite file at `path` and loads its keys. Synchronous:
    /// the model server's initialiser, which makes the store, cannot await.
    public init(path: String, freshness: Duration = .seconds(2), outageGrace: Duration = .seconds(60)) throws {
        db = try HubDatabase.sqliteNow(path: path)
        self.freshness = freshness
        self.outageGrace = outageGrace
        answers = Locked(Self.index(try db.apiKeysNow()))
    }

    /// A store over an open database (either engine).
    public init(database: HubDatabase, freshness: Duration = .seconds(2), outageGrace: Duration = .seconds(60)) async throws {
        db = database
        self.freshness = freshness
        self.outageGrace = outageGrace
        answers = Locked(Self.index(try await database.apiKeys()))
    }

    private static func index(_ keys: [APIKeyRecord]) -> [String: Answer] {
        let now = ContinuousClock.now
        return Dictionary(keys.map { ($0.keyHash, Answer(record: $0, readAt: now)) }, uniquingKeysWith: { a, _ in a })
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
        remember(h, record)
        return (key, record)
    }

    /// The record for a presented key (revoked ones too; the caller decides), nil for no such key.
    /// Throws `KeyStoreUnavailable` when the database cannot answer and no recent answer stands in.
    public func lookup(_ key: String) async throws -> APIKeyRecord? {
        let h = Self.hash(key)
        let now = ContinuousClock.now
        let cached = answers.withLock { $0[h] }
        if let cached, now - cached.readAt < freshness { return cached.record }
        do {
            let record = try await db.apiKey(hash: h)
            remember(h, record)
            return record
        } catch {
            // A key known a moment ago keeps working through a short outage; one never seen, or seen
            // too long ago, is refused rather than guessed.
            if let cached, cached.record != nil, now - cached.readAt < outageGrace { return cached.record }
            throw KeyStoreUnavailable(reason: "\(error)")
        }
    }

    /// Every key in the database, oldest first.
    public func list() async throws -> [APIKeyRecord] {
        let keys = try await db.apiKeys()
        for k in keys { remember(k.keyHash, k) }
        return keys
    }

    /// Revokes the key with this id wherever it was made; false when no such key exists.
    public func revoke(keyID: String) async throws -> Bool {
        guard let stored = try await db.revokeAPIKey(keyID: keyID, at: Date()) else { return false }
        remember(stored.keyHash, stored)
        return true
    }

    private func remember(_ hash: String, _ record: APIKeyRecord?) {
        let answer = Answer(record: record, readAt: .now)
        answers.withLock { answers in
            if answers.count >= Self.maxAnswers && answers[hash] == nil {
                answers = answers.filter { $0.value.record != nil }
            }
            if record != nil || answers.count < Self.maxAnswers { answers[hash] = answer }
        }
    }
}

/// The key database could not be read, so a presented key can be neither accepted nor refused.
public struct KeyStoreUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "the API key database cannot be read: \(reason)" }
}
