/// Migrations, applied in order; each runs once, recorded in `schema_migrations`.
/// `INT` is replaced by the engine's 64-bit integer type.
enum Schema {
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE users (name TEXT PRIMARY KEY, is_admin INT NOT NULL, created_at INT NOT NULL)
            """,
            """
            CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
              user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
              display_name TEXT NOT NULL, can_write INT NOT NULL, created_at INT NOT NULL)
            """,
            """
            CREATE TABLE repos (id TEXT PRIMARY KEY, type TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
              private INT NOT NULL, created_at INT NOT NULL, last_modified INT NOT NULL,
              UNIQUE (type, namespace, name))
            """,
            """
            CREATE TABLE commits (id TEXT PRIMARY KEY, repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
              parent_id TEXT, title TEXT NOT NULL, message TEXT NOT NULL, author TEXT NOT NULL, created_at INT NOT NULL)
            """,
            "CREATE INDEX commits_repo ON commits(repo_id)",
            """
            CREATE TABLE commit_files (commit_id TEXT NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
              path TEXT NOT NULL, size INT NOT NULL, git_oid TEXT NOT NULL, sha256 TEXT NOT NULL,
              is_lfs INT NOT NULL, cid TEXT NOT NULL, last_commit TEXT NOT NULL, PRIMARY KEY (commit_id, path))
            """,
            "CREATE INDEX commit_files_cid ON commit_files(cid)",
            "CREATE INDEX commit_files_sha256 ON commit_files(sha256)",
            """
            CREATE TABLE refs (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, name TEXT NOT NULL,
              commit_id TEXT NOT NULL, PRIMARY KEY (repo_id, name))
            """,
            """
            CREATE TABLE lfs_objects (sha256 TEXT PRIMARY KEY, size INT NOT NULL, cid TEXT NOT NULL, created_at INT NOT NULL)
            """,
            """
            CREATE TABLE lfs_uploaders (sha256 TEXT NOT NULL, user_name TEXT NOT NULL, PRIMARY KEY (sha256, user_name))
            """,
            """
            CREATE TABLE discussions (repo_id TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE, num INT NOT NULL,
              title TEXT NOT NULL, description TEXT NOT NULL, author TEXT NOT NULL, is_pr INT NOT NULL,
              status TEXT NOT NULL, created_at INT NOT NULL, base_commit TEXT NOT NULL, PRIMARY KEY (repo_id, num))
            """,
            "CREATE TABLE pins (cid TEXT PRIMARY KEY, created_at INT NOT NULL)",
        ],
        // 2: organisations. An org's name is a namespace like a user's; the two are kept apart by the
        // create functions (each checks the other table), not by a shared key, so migration 1 stays as it is.
        [
            "CREATE TABLE orgs (name TEXT PRIMARY KEY, fullname TEXT NOT NULL, created_at INT NOT NULL)",
            """
            CREATE TABLE org_members (org_name TEXT NOT NULL REFERENCES orgs(name) ON DELETE CASCADE,
              user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
              role TEXT NOT NULL, created_at INT NOT NULL, PRIMARY KEY (org_name, user_name))
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
    ]
}
