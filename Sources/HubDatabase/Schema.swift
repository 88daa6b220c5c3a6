/// The hub database's schema: migrations applied in order, each once, its version (its position,
/// from 1) recorded in `schema_migrations`. Every table of the data directory's database is created
/// here, the hub's, the pull-through mirror's and the model server's, so one migrator owns the file.
///
/// Statements are written per dialect where they differ: `i` below is the dialect's 64-bit integer
/// type. A migration, once released, is never edited; a change is a new migration.
enum Schema {
    struct Migration: Sendable {
        let version: Int64
        let statements: [String]
    }

    static func migrationsTable(_ d: SQLDialect) -> String {
        "CREATE TABLE IF NOT EXISTS schema_migrations (version \(d.integer) PRIMARY KEY)"
    }

    /// The migrations not in `applied`, in order.
    static func pending(_ d: SQLDialect, applied: Set<Int64>) -> [Migration] {
        migrations(d).enumerated().map { Migration(version: Int64($0.offset + 1), statements: $0.element) }
            .filter { !applied.contains($0.version) }
    }

    static func migrations(_ d: SQLDialect) -> [[String]] {
        let i = d.integer
        return [
            [
                "CREATE TABLE users (name TEXT PRIMARY KEY, is_admin \(i) NOT NULL, created_at \(i) NOT NULL)",
                """
                CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
                  user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                  display_name TEXT NOT NULL, can_write \(i) NOT NULL, created_at \(i) NOT NULL)
                """,
                """
                CREATE TABLE repos (id TEXT PRIMARY KEY, type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                  private \(i) NOT NULL, created_at \(i) NOT NULL, last_modified \(i) NOT NULL,
                  UNIQUE (type, namespace, name))
                """,
                """
                CREATE TABLE commits (id TEXT PRIMARY KEY, repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
                  parent_id TEXT, title TEXT NOT NULL, message TEXT NOT NULL, author TEXT NOT NULL, created_at \(i) NOT NULL)
                """,
                "CREATE INDEX commits_repo ON commits(repo_id)",
                """
                CREATE TABLE commit_files (commit_id TEXT NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
                  path TEXT NOT NULL, size \(i) NOT NULL, git_oid TEXT NOT NULL, sha256 TEXT NOT NULL,
                  is_lfs \(i) NOT NULL, cid TEXT NOT NULL, last_commit TEXT NOT NULL, PRIMARY KEY (commit_id, path))
                """,
                "CREATE INDEX commit_files_cid ON commit_files(cid)",
                "CREATE INDEX commit_files_sha256 ON commit_files(sha256)",
                """
                CREATE TABLE refs (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, name TEXT NOT NULL,
                  commit_id TEXT NOT NULL, PRIMARY KEY (repo_id, name))
                """,
                "CREATE TABLE lfs_objects (sha256 TEXT PRIMARY KEY, size \(i) NOT NULL, cid TEXT NOT NULL, created_at \(i) NOT NULL)",
                "CREATE TABLE lfs_uploaders (sha256 TEXT NOT NULL, user_name TEXT NOT NULL, PRIMARY KEY (sha256, user_name))",
                """
                CREATE TABLE discussions (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, num \(i) NOT NULL,
                  title TEXT NOT NULL, description TEXT NOT NULL, author TEXT NOT NULL, is_pr \(i) NOT NULL,
                  status TEXT NOT NULL, created_at \(i) NOT NULL, base_commit TEXT NOT NULL, PRIMARY KEY (repo_id, num))
                """,
                "CREATE TABLE pins (cid TEXT PRIMARY KEY, created_at \(i) NOT NULL)",
            ],
            // 2: organisations. An org's name is a namespace like a user's; the two are kept apart by the
            // create functions (each checks the other table), not by a shared key, so migration 1 stays as it is.
            [
                "CREATE TABLE orgs (name TEXT PRIMARY KEY, fullname TEXT NOT NULL, created_at \(i) NOT NULL)",
                """
                CREATE TABLE org_members (org_name TEXT NOT NULL REFERENCES orgs(name) ON DELETE CASCADE,
                  user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                  role TEXT NOT NULL, created_at \(i) NOT NULL, PRIMARY KEY (org_name, user_name))
                """,
                // The caller's orgs are read on every authenticated request.
                "CREATE INDEX org_members_user ON org_members(user_name)",
            ],
            // 3: git objects pushed to a repo that cannot be derived from its commits (the pushed commit
            // and tree objects themselves, LFS pointer blobs as sent), so clones see exactly what was pushed.
            [
                """
                CREATE TABLE git_objects (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, id TEXT NOT NULL,
                  type TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (repo_id, id))
                """,
            ],
            fallbackTables(i),
            apiKeys(d),
            // 6: the model server's rate-limit buckets, shared by every process on one database
            // (HubDatabase+RateLimits.swift). Tokens in thousandths, time in milliseconds.
            [
                "CREATE TABLE rate_buckets (bucket TEXT PRIMARY KEY, milli_tokens \(i) NOT NULL, updated_ms \(i) NOT NULL)",
            ],
        ]
    }

    /// 4: the pull-through mirror (HubDatabase+Fallback.swift). Before this migration these tables were
    /// made on first use, with these same definitions, outside the migration list; IF NOT EXISTS adopts
    /// them, rows and all, in a database that has them.
    private static func fallbackTables(_ i: String) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS fallback_sources (id TEXT PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL,
              source_type TEXT NOT NULL, priority \(i) NOT NULL, namespace TEXT NOT NULL, token TEXT,
              enabled \(i) NOT NULL, created_at \(i) NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS fallback_files (type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
              commit_id TEXT NOT NULL, path TEXT NOT NULL, size \(i) NOT NULL, git_oid TEXT NOT NULL, sha256 TEXT NOT NULL,
              is_lfs \(i) NOT NULL, cid TEXT NOT NULL, source_name TEXT NOT NULL, source_url TEXT NOT NULL,
              last_access \(i) NOT NULL, PRIMARY KEY (type, namespace, name, commit_id, path))
            """,
            "CREATE INDEX IF NOT EXISTS fallback_files_cid ON fallback_files(cid)",
            "CREATE INDEX IF NOT EXISTS fallback_files_access ON fallback_files(last_access)",
            """
            CREATE TABLE IF NOT EXISTS fallback_refs (type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
              revision TEXT NOT NULL, commit_id TEXT NOT NULL, updated_at \(i) NOT NULL, source_name TEXT NOT NULL,
              source_url TEXT NOT NULL, PRIMARY KEY (type, namespace, name, revision))
            """,
            """
            CREATE TABLE IF NOT EXISTS fallback_responses (type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
              req_key TEXT NOT NULL, body TEXT NOT NULL, headers TEXT NOT NULL, source_name TEXT NOT NULL,
              source_url TEXT NOT NULL, updated_at \(i) NOT NULL, PRIMARY KEY (type, namespace, name, req_key))
            """,
            "CREATE TABLE IF NOT EXISTS fallback_leases (lease_key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at \(i) NOT NULL)",
        ]
    }

    /// 5: the model server's API keys (HubDatabase+APIKeys.swift), stored hashed; times in Unix seconds
    /// like every other table. `allowed_models` is a JSON array of names, NULL for every model.
    private static func apiKeys(_ d: SQLDialect) -> [String] {
        let i = d.integer
        let create = """
            CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
              rate_limit \(i), allowed_models TEXT, priority TEXT, created_at \(i) NOT NULL, revoked_at \(i))
            """
        switch d {
        case .postgres:
            return [create]
        case .sqlite:
            // Until this migration the model server kept its keys in `model_server_api_keys`, made by a
            // GRDB migrator of its own (bookkeeping in `grdb_migrations`), with dates as GRDB writes them
            // ('YYYY-MM-DD HH:MM:SS.SSS', UTC). That was only ever SQLite. The keys move here with their
            // times in seconds; the old table is made empty first where it never existed, so the copy
            // needs no condition.
            return [
                """
                CREATE TABLE IF NOT EXISTS model_server_api_keys (key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE,
                  name TEXT NOT NULL, rate_limit INTEGER, allowed_models TEXT, priority TEXT,
                  created_at DATETIME NOT NULL, revoked_at DATETIME)
                """,
                create,
                """
                INSERT INTO api_keys (key_id, key_hash, name, rate_limit, allowed_models, priority, created_at, revoked_at)
                SELECT key_id, key_hash, name, rate_limit, allowed_models, priority,
                  CAST(strftime('%s', created_at) AS INTEGER), CAST(strftime('%s', revoked_at) AS INTEGER)
                FROM model_server_api_keys
                """,
                "DROP TABLE model_server_api_keys",
                "DROP TABLE IF EXISTS grdb_migrations",
            ]
        }
    }
}
