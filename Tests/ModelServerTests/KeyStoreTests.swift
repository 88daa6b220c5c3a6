import Foundation
import GRDB
import HubDatabase
import ModelServer
import Testing

@Suite struct KeyStoreTests {
    static func tempPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("hub.sqlite").path
    }

    /// A `hub.sqlite` where only the model server had run, as releases before the keys moved into the
    /// hub's schema left it: the old KeyStore's own GRDB migrator and table, verbatim.
    static func makeLegacyKeyFile(at path: String, key: String) throws {
        let queue = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("model_server_v1_api_keys") { db in
            try db.create(table: "model_server_api_keys") { t in
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
        try migrator.migrate(queue)
        let hash = KeyStore.hash(key)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO model_server_api_keys (key_id, key_hash, name, rate_limit, allowed_models, priority, created_at)
                VALUES (?, ?, 'legacy', 7, '["embed"]', 'HIGH', ?)
                """, arguments: [String(hash.prefix(16)), hash, Date(timeIntervalSince1970: 1_700_000_000)])
        }
        try queue.close()
    }

    @Test func keysFromTheOldKeyStoreStillWork() async throws {
        let path = try Self.tempPath()
        let key = "hf_" + HubDatabase.randomLettersAndDigits(32)
        try Self.makeLegacyKeyFile(at: path, key: key)

        let store = try KeyStore(path: path)
        let record = try #require(try await store.lookup(key))
        #expect(record.name == "legacy" && record.rateLimit == 7 && record.allowedModels == ["embed"] && record.priority == "HIGH")
        #expect(record.createdAt == Date(timeIntervalSince1970: 1_700_000_000) && !record.isRevoked)
        #expect(try await store.list().map(\.keyID) == [record.keyID])

        let (newKey, newRecord) = try await store.generate(name: "new", rateLimit: nil, allowedModels: nil, priority: nil)
        #expect(try await store.revoke(keyID: record.keyID))
        #expect(try await !store.revoke(keyID: "0000000000000000"))

        // A second store on the file (the next start) sees both, the old one revoked; the hub's own
        // tables were made beside them by the same migrations.
        let again = try KeyStore(path: path)
        #expect(try await again.lookup(key)?.isRevoked == true)
        #expect(try await again.lookup(newKey) == newRecord)
        let hub = try await HubDatabase.sqlite(path: path)
        #expect(try await hub.apiKeys().count == 2)
        #expect(try await hub.users().isEmpty)
        await hub.close()
    }

    @Test func aStoreOverAnOpenDatabaseSharesItsKeys() async throws {
        let path = try Self.tempPath()
        let db = try await HubDatabase.sqlite(path: path)
        let first = try await KeyStore(database: db)
        let (key, _) = try await first.generate(name: "a", rateLimit: 1, allowedModels: ["x"], priority: .high)
        let second = try await KeyStore(database: db)
        #expect(try await second.lookup(key)?.name == "a")
        await db.close()
    }

    /// Two stores on one database file, each with its own connection: two `serve` processes on one
    /// database. What one makes or revokes, the other acts on without a restart.
    @Test func keysMadeOrRevokedThroughOneProcessTakeEffectInAnother() async throws {
        let path = try Self.tempPath()
        let dbA = try await HubDatabase.sqlite(path: path)
        let dbB = try await HubDatabase.sqlite(path: path)
        let a = try await KeyStore(database: dbA, freshness: .zero)
        let b = try await KeyStore(database: dbB, freshness: .zero)

        let (key, record) = try await a.generate(name: "made-on-a", rateLimit: nil, allowedModels: nil, priority: nil)
        #expect(try await b.lookup(key) == record)
        #expect(try await b.list().map(\.keyID) == [record.keyID])

        // Revoked through b, which did not make it; a refuses it next time it is presented.
        #expect(try await b.revoke(keyID: record.keyID))
        #expect(try await a.lookup(key)?.isRevoked == true)
        #expect(try await b.lookup("hf_" + HubDatabase.randomLettersAndDigits(32)) == nil)
        await dbA.close()
        await dbB.close()
    }

    /// A key checked a moment ago keeps working while the database is unreachable; a key never seen
    /// is not guessed at: the lookup fails, and the server answers 503 rather than 401 or 200.
    @Test func anUnreachableDatabaseRefusesUnknownKeysButHonoursRecentOnes() async throws {
        let path = try Self.tempPath()
        let db = try await HubDatabase.sqlite(path: path)
        let store = try await KeyStore(database: db, freshness: .zero, outageGrace: .seconds(3600))
        let (key, record) = try await store.generate(name: "k", rateLimit: nil, allowedModels: nil, priority: nil)
        #expect(try await store.lookup(key) == record)
        await db.close()
        #expect(try await store.lookup(key) == record)
        await #expect(throws: KeyStoreUnavailable.self) {
            _ = try await store.lookup("hf_" + HubDatabase.randomLettersAndDigits(32))
        }
    }
}
