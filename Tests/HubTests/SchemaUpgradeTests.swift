import Foundation
import GRDB
import HubDatabase
import Testing

/// A `hub.sqlite` as releases before migrations 4 and 5 left it: migrations 1-3 recorded, the fallback
/// tables made on first use outside the migration list, and the model server's keys in a table of its
/// own GRDB migrator. The SQL is those releases' own text (the schema's `INT` already replaced).
enum LegacyHubFile {
    static func make(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
            for statement in hubMigrations1to3 + adHocFallbackTables { try db.execute(sql: statement) }
            try db.execute(sql: "INSERT INTO schema_migrations (version) VALUES (1), (2), (3)")
            try db.execute(sql: "INSERT INTO users (name, is_admin, created_at) VALUES ('alice', 1, 1700000000)")
            try db.execute(sql: """
                INSERT INTO tokens (id, hash, user_name, display_name, can_write, created_at)
                VALUES ('t1', 'feedface', 'alice', 'laptop', 1, 1700000001)
                """)
            try db.execute(sql: """
                INSERT INTO fallback_sources (id, name, url, source_type, priority, namespace, token, enabled, created_at)
                VALUES ('s1', 'hf', 'https://huggingface.co', 'huggingface', 10, '', 'sealed', 1, 1700000002)
                """)
            try db.execute(sql: """
                INSERT INTO fallback_files (type, namespace, name, commit_id, path, size, git_oid, sha256, is_lfs, cid,
                  source_name, source_url, last_access)
                VALUES ('model', 'org', 'm', 'c1', 'w.bin', 5, 'g1', 's256', 1, 'cid-1', 'hf', 'https://huggingface.co', 1700000003)
                """)
            try db.execute(sql: """
                INSERT INTO fallback_refs (type, namespace, name, revision, commit_id, updated_at, source_name, source_url)
                VALUES ('model', 'org', 'm', 'main', 'c1', 1700000004, 'hf', 'https://huggingface.co')
                """)
            try db.execute(sql: """
                INSERT INTO fallback_responses (type, namespace, name, req_key, body, headers, source_name, source_url, updated_at)
                VALUES ('model', 'org', 'm', 'info', '{"id":"org/m"}', '{"etag":"x"}', 'hf', 'https://huggingface.co', 1700000005)
                """)
        }
        // The old KeyStore, verbatim: its migrator and table, a key written through GRDB's Date encoding.
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
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO model_server_api_keys (key_id, key_hash, name, rate_limit, allowed_models, priority, created_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    String(repeating: "a", count: 16), String(repeating: "a", count: 64), "app", 100, #"["embed","gen"]"#, "HIGH",
                    Date(timeIntervalSince1970: 1_700_000_010), nil,
                    String(repeating: "b", count: 16), String(repeating: "b", count: 64), "old", nil, nil, nil,
                    Date(timeIntervalSince1970: 1_700_000_020), Date(timeIntervalSince1970: 1_700_000_030.25),
                ])
        }
        try queue.close()
    }

    static let hubMigrations1to3 = [
        "CREATE TABLE users (name TEXT PRIMARY KEY, is_admin INTEGER NOT NULL, created_at INTEGER NOT NULL)",
        """
        CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
          user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
          display_name TEXT NOT NULL, can_write INTEGER NOT NULL, created_at INTEGER NOT NULL)
        """,
        """
        CREATE TABLE repos (id TEXT PRIMARY KEY, type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
          private INTEGER NOT NULL, created_at INTEGER NOT NULL, last_modified INTEGER NOT NULL, UNIQUE (type, namespace, name))
        """,
        """
        CREATE TABLE commits (id TEXT PRIMARY KEY, repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
          parent_id TEXT, title TEXT NOT NULL, message TEXT NOT NULL, author TEXT NOT NULL, created_at INTEGER NOT NULL)
        """,
        "CREATE INDEX commits_repo ON commits(repo_id)",
        """
        CREATE TABLE commit_files (commit_id TEXT NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
          path TEXT NOT NULL, size INTEGER NOT NULL, git_oid TEXT NOT NULL, sha256 TEXT NOT NULL,
          is_lfs INTEGER NOT NULL, cid TEXT NOT NULL, last_commit TEXT NOT NULL, PRIMARY KEY (commit_id, path))
        """,
        "CREATE INDEX commit_files_cid ON commit_files(cid)",
        "CREATE INDEX commit_files_sha256 ON commit_files(sha256)",
        """
        CREATE TABLE refs (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, name TEXT NOT NULL,
          commit_id TEXT NOT NULL, PRIMARY KEY (repo_id, name))
        """,
        "CREATE TABLE lfs_objects (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, cid TEXT NOT NULL, created_at INTEGER NOT NULL)",
        "CREATE TABLE lfs_uploaders (sha256 TEXT NOT NULL, user_name TEXT NOT NULL, PRIMARY KEY (sha256, user_name))",
        """
        CREATE TABLE discussions (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, num INTEGER NOT NULL,
          title TEXT NOT NULL, description TEXT NOT NULL, author TEXT NOT NULL, is_pr INTEGER NOT NULL,
          status TEXT NOT NULL, created_at INTEGER NOT NULL, base_commit TEXT NOT NULL, PRIMARY KEY (repo_id, num))
        """,
        "CREATE TABLE pins (cid TEXT PRIMARY KEY, created_at INTEGER NOT NULL)",
        "CREATE TABLE orgs (name TEXT PRIMARY KEY, fullname TEXT NOT NULL, created_at INTEGER NOT NULL)",
        """
        CREATE TABLE org_members (org_name TEXT NOT NULL REFERENCES orgs(name) ON DELETE CASCADE,
          user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
          role TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (org_name, user_name))
        """,
        "CREATE INDEX org_members_user ON org_members(user_name)",
        """
        CREATE TABLE git_objects (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, id TEXT NOT NULL,
          type TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (repo_id, id))
        """,
    ]

    /// What `prepareFallbackTables` ran on first use.
    static let adHocFallbackTables = [
        """
        CREATE TABLE IF NOT EXISTS fallback_sources (id TEXT PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL,
          source_type TEXT NOT NULL, priority INTEGER NOT NULL, namespace TEXT NOT NULL, token TEXT,
          enabled INTEGER NOT NULL, created_at INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS fallback_files (type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
          commit_id TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, git_oid TEXT NOT NULL, sha256 TEXT NOT NULL,
          is_lfs INTEGER NOT NULL, cid TEXT NOT NULL, source_name TEXT NOT NULL, source_url TEXT NOT NULL,
          last_access INTEGER NOT NULL, PRIMARY KEY (type, namespace, name, commit_id, path))
        """,
        "CREATE INDEX IF NOT EXISTS fallback_files_cid ON fallback_files(cid)",
        "CREATE INDEX IF NOT EXISTS fallback_files_access ON fallback_files(last_access)",
        """
        CREATE TABLE IF NOT EXISTS fallback_refs (type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
          revision TEXT NOT NULL, commit_id TEXT NOT NULL, updated_at INTEGER NOT NULL, source_name TEXT NOT NULL,
          source_url TEXT NOT NULL, PRIMARY KEY (type, namespace, name, revision))
        """,
        """
        CREATE TABLE IF NOT EXISTS fallback_responses (type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
          req_key TEXT NOT NULL, body TEXT NOT NULL, headers TEXT NOT NULL, source_name TEXT NOT NULL,
          source_url TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (type, namespace, name, req_key))
        """,
        "CREATE TABLE IF NOT EXISTS fallback_leases (lease_key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    ]

    static func tempPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubdb-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("hub.sqlite").path
    }
}

@Suite struct SchemaUpgradeTests {
    @Test func aDatabaseFromBeforeTheFallbackAndKeyMigrationsOpensWithItsRows() async throws {
        let path = try LegacyHubFile.tempPath()
        try LegacyHubFile.make(at: path)
        let db = try await HubDatabase.sqlite(path: path)

        #expect(try await db.user(named: "alice") == UserRecord(name: "alice", isAdmin: true, createdAt: 1_700_000_000))
        let token = try #require(try await db.token(sha256: "feedface"))
        #expect(token.0 == TokenRecord(id: "t1", userName: "alice", displayName: "laptop", canWrite: true, createdAt: 1_700_000_001))
        #expect(token.1.name == "alice" && token.1.isAdmin)

        // The ad-hoc fallback tables are adopted, rows and all.
        #expect(try await db.fallbackSources() == [FallbackSourceRecord(
            id: "s1", name: "hf", url: "https://huggingface.co", sourceType: "huggingface", priority: 10, namespace: "",
            sealedToken: "sealed", enabled: true, createdAt: 1_700_000_002)])
        let file = try #require(try await db.mirroredFile(type: .model, namespace: "org", name: "m", commitID: "c1", path: "w.bin"))
        #expect(file == MirroredFileRecord(sourceName: "hf", sourceURL: "https://huggingface.co", type: .model, namespace: "org",
                                           name: "m", commitID: "c1", path: "w.bin", size: 5, gitOID: "g1", sha256: "s256",
                                           isLFS: true, cid: "cid-1", lastAccess: 1_700_000_003))
        #expect(try await db.mirroredRef(type: .model, namespace: "org", name: "m", revision: "main")
                == MirroredRefRecord(commitID: "c1", updatedAt: 1_700_000_004, sourceName: "hf", sourceURL: "https://huggingface.co"))
        #expect(try await db.mirroredResponse(type: .model, namespace: "org", name: "m", key: "info")?.headers == #"{"etag":"x"}"#)
        #expect(try await db.referencedCIDs().contains("cid-1"))

        // The old key table's rows, times in whole seconds (GRDB wrote milliseconds).
        let keys = try await db.apiKeys()
        #expect(keys == [
            APIKeyRecord(keyID: String(repeating: "a", count: 16), keyHash: String(repeating: "a", count: 64), name: "app",
                         rateLimit: 100, allowedModels: ["embed", "gen"], priority: "HIGH",
                         createdAt: Date(timeIntervalSince1970: 1_700_000_010), revokedAt: nil),
            APIKeyRecord(keyID: String(repeating: "b", count: 16), keyHash: String(repeating: "b", count: 64), name: "old",
                         rateLimit: nil, allowedModels: nil, priority: nil,
                         createdAt: Date(timeIntervalSince1970: 1_700_000_020), revokedAt: Date(timeIntervalSince1970: 1_700_000_030)),
        ])
        await db.close()

        // Nothing is left of the second migrator, and opening again changes nothing.
        let queue = try DatabaseQueue(path: path)
        let tables = try await queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains("model_server_api_keys") && !tables.contains("grdb_migrations"))
        #expect(try await queue.read { try Int64.fetchAll($0, sql: "SELECT version FROM schema_migrations ORDER BY version") } == [1, 2, 3, 4, 5, 6])
        try queue.close()
        let again = try await HubDatabase.sqlite(path: path)
        #expect(try await again.apiKeys() == keys)
        #expect(try await again.fallbackSources().count == 1)
        await again.close()
    }

    @Test func aDamagedColumnIsAnErrorNamingIt() async throws {
        let path = try LegacyHubFile.tempPath()
        let db = try await HubDatabase.sqlite(path: path)
        await db.close()
        // SQLite keeps a value that does not fit the column's type as it is: a priority written as text
        // behind the hub's back reads as an error about that column, not as priority 0.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO fallback_sources VALUES ('s1', 'hf', 'u', 'huggingface', 'ten', '', NULL, 1, 0)")
        }
        try queue.close()
        let reopened = try await HubDatabase.sqlite(path: path)
        await #expect { try await reopened.fallbackSources() } throws: { error in
            "\(error)".contains("'priority'")
        }
        await reopened.close()
    }

    @Test("API keys: stored by hash, found by hash, revoked once", arguments: Backend.available)
    func apiKeys(backend: Backend) async throws {
        let db = try await backend.open()
        let hash = HubDatabase.tokenSHA256(unique("key"))
        let key = APIKeyRecord(keyID: String(hash.prefix(16)), keyHash: hash, name: "app", rateLimit: 5, allowedModels: ["a/b"],
                               priority: "LOW", createdAt: Date(timeIntervalSince1970: 1_700_000_000), revokedAt: nil)
        try await db.createAPIKey(key)
        await #expect(throws: HubDatabaseError.alreadyExists("API key '\(key.keyID)'")) { try await db.createAPIKey(key) }
        #expect(try await db.apiKey(hash: hash) == key)
        #expect(try await db.apiKeys().filter { $0.keyHash == hash } == [key])

        let revoked = try #require(try await db.revokeAPIKey(keyID: key.keyID, at: Date(timeIntervalSince1970: 1_700_000_100.9)))
        #expect(revoked.revokedAt == Date(timeIntervalSince1970: 1_700_000_100))
        // A second revocation keeps the first time.
        #expect(try await db.revokeAPIKey(keyID: key.keyID, at: Date())?.revokedAt == revoked.revokedAt)
        #expect(try await db.revokeAPIKey(keyID: "no-such-key", at: Date()) == nil)
        #expect(try await db.apiKey(hash: hash)?.isRevoked == true)
        await db.close()
    }
}
