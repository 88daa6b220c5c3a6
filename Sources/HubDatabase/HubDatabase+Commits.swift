import Foundation

extension HubDatabase {
    static let commitColumns = "id, repo_id, parent_id, title, message, author, created_at"
    static let fileColumns = "path, size, git_oid, sha256, is_lfs, cid, last_commit"

    static func commit(_ row: SQLRow) throws -> CommitRecord {
        CommitRecord(id: try row.text("id"), repoID: try row.text("repo_id"), parentID: try row.optionalText("parent_id"),
                     title: try row.text("title"), message: try row.text("message"), author: try row.text("author"),
                     createdAt: try row.int("created_at"))
    }

    static func file(_ row: SQLRow) throws -> FileRecord {
        FileRecord(path: try row.text("path"), size: try row.int("size"), gitOID: try row.text("git_oid"),
                   sha256: try row.text("sha256"), isLFS: try row.bool("is_lfs"), cid: try row.text("cid"),
                   lastCommitID: try row.text("last_commit"))
    }

    static func insertCommit(_ tx: any SQLTransaction, _ c: CommitRecord) async throws {
        try await tx.execute("INSERT INTO commits (\(commitColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [.text(c.id), .text(c.repoID), SQLValue(c.parentID), .text(c.title), .text(c.message),
                              .text(c.author), .int(c.createdAt)])
    }

    static func insertFile(_ tx: any SQLTransaction, commitID: String, _ f: FileRecord) async throws {
        try await tx.execute("INSERT INTO commit_files (commit_id, \(fileColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [.text(commitID), .text(f.path), .int(f.size), .text(f.gitOID), .text(f.sha256),
                              SQLValue(f.isLFS), .text(f.cid), .text(f.lastCommitID)])
    }

    // MARK: refs

    public func refs(repoID: String) async throws -> [RefRecord] {
        try await sql.transaction { tx in
            try await tx.query("SELECT name, commit_id FROM refs WHERE repo_id = ? ORDER BY name", [.text(repoID)])
                .map { RefRecord(name: try $0.text("name"), commitID: try $0.text("commit_id")) }
        }
    }

    /// Resolves a branch name, `refs/heads/X`, `refs/pr/N` or a full 40-hex commit id of this repo.
    /// How a revision is looked up: first as a ref name (`refs/heads/` dropped), then, when it is
    /// 40 hex digits, as a commit id of the repo.
    static func revisionLookup(_ revision: String) -> (ref: String, commitID: String?) {
        let ref = revision.hasPrefix("refs/heads/") ? String(revision.dropFirst("refs/heads/".count)) : revision
        let id = revision.count == 40 && revision.allSatisfy(\.isHexDigit) ? revision.lowercased() : nil
        return (ref, id)
    }

    public func resolve(repoID: String, revision: String) async throws -> CommitRecord? {
        let (ref, commitID) = Self.revisionLookup(revision)
        return try await sql.transaction { tx in
            if let row = try await tx.one("SELECT commit_id FROM refs WHERE repo_id = ? AND name = ?", [.text(repoID), .text(ref)]),
               let id = row[0].text {
                return try await tx.one("SELECT \(Self.commitColumns) FROM commits WHERE id = ?", [.text(id)]).map(Self.commit)
            }
            guard let commitID else { return nil }
            return try await tx.one("SELECT \(Self.commitColumns) FROM commits WHERE id = ? AND repo_id = ?",
                                    [.text(commitID), .text(repoID)]).map(Self.commit)
        }
    }

    public func createRef(repoID: String, name: String, commitID: String) async throws {
        try await sql.transaction { tx in
            if try await tx.one("SELECT name FROM refs WHERE repo_id = ? AND name = ?", [.text(repoID), .text(name)]) != nil {
                throw HubDatabaseError.alreadyExists("reference '\(name)'")
            }
            try await tx.execute("INSERT INTO refs (repo_id, name, commit_id) VALUES (?, ?, ?)",
                                 [.text(repoID), .text(name), .text(commitID)])
        }
    }

    public func deleteRef(repoID: String, name: String) async throws {
        try await sql.transaction { tx in
            guard try await tx.one("DELETE FROM refs WHERE repo_id = ? AND name = ? RETURNING name", [.text(repoID), .text(name)]) != nil else {
                throw HubDatabaseError.notFound("reference '\(name)'")
            }
        }
    }

    // MARK: files

    public func files(commitID: String) async throws -> [FileRecord] {
        try await sql.transaction { tx in
            try await tx.query("SELECT \(Self.fileColumns) FROM commit_files WHERE commit_id = ? ORDER BY path", [.text(commitID)])
                .map(Self.file)
        }
    }

    /// Built once: the same text every time lets each connection keep it prepared.
    static let resolveFileSQL: String = {
        func qualified(_ columns: String, _ table: String) -> String {
            columns.split(separator: ",").map { "\(table)." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        }
        return """
            SELECT \(qualified(repoColumns, "r")), \(qualified(commitColumns, "c")), \(qualified(fileColumns, "f"))
            FROM repos r
            LEFT JOIN refs rf ON rf.repo_id = r.id AND rf.name = ?
            LEFT JOIN commits c ON c.repo_id = r.id AND c.id = COALESCE(rf.commit_id, CAST(? AS TEXT))
            LEFT JOIN commit_files f ON f.commit_id = c.id AND f.path = ?
            WHERE r.type = ? AND r.namespace = ? AND r.name = ?
            """
    }()

    /// A file of a repo at a revision, in one statement (the per-request work of `resolve`): the repo,
    /// the commit the revision names (a branch or tag first, else a full commit id of this repo) and
    /// the file, each nil when absent. Nil overall when the repo does not exist.
    public func resolveFile(type: RepoType, namespace: String, name: String, revision: String,
                            path: String) async throws -> (repo: RepoRecord, commit: CommitRecord?, file: FileRecord?)? {
        let (ref, commitID) = Self.revisionLookup(revision)
        let rows = try await sql.read(Self.resolveFileSQL,
                                      [.text(ref), SQLValue(commitID), .text(path), .text(type.rawValue), .text(namespace), .text(name)])
        guard let row = rows.first else { return nil }
        // Three tables side by side (see resolveFileSQL); a LEFT JOIN that found nothing leaves its id NULL.
        let repo = try Self.repo(row[0..<7])
        let commit = row[7] == .null ? nil : try Self.commit(row[7..<14])
        let file = row[14] == .null ? nil : try Self.file(row[14..<21])
        return (repo, commit, file)
    }

    public func file(commitID: String, path: String) async throws -> FileRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT \(Self.fileColumns) FROM commit_files WHERE commit_id = ? AND path = ?",
                             [.text(commitID), .text(path)]).map(Self.file)
        }
    }

    public func commit(id: String) async throws -> CommitRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT \(Self.commitColumns) FROM commits WHERE id = ?", [.text(id)]).map(Self.commit)
        }
    }

    /// The commits reachable from `commitID` through parents, newest first.
    public func history(fromCommit commitID: String, limit: Int) async throws -> [CommitRecord] {
        try await sql.transaction { tx in
            var out: [CommitRecord] = []
            var next: String? = commitID
            while let id = next, out.count < limit,
                  let c = try await tx.one("SELECT \(Self.commitColumns) FROM commits WHERE id = ?", [.text(id)]).map(Self.commit) {
                out.append(c)
                next = c.parentID
            }
            return out
        }
    }

    /// Applies `changes` on top of the head of `ref` as `commit` (whose `parentID` is set here), all or nothing.
    /// `expectedHead`: the client's `parentCommit`; a different head is `parentMismatch`.
    /// Deleting a path that does not exist is `notFound(path)`.
    ///
    /// Hub instances sharing one database serialise commits to a branch on its ref row (`FOR UPDATE`
    /// on PostgreSQL; SQLite's `BEGIN IMMEDIATE` takes the file's write lock). A commit without
    /// `expectedHead` that still loses the compare-and-set is rebuilt on the new head, as the Hub
    /// does; one with `expectedHead` gets `parentMismatch` (HTTP 412). No commit is ever dropped.
    @discardableResult
    public func applyCommit(repoID: String, ref: String, expectedHead: String?, commit: CommitRecord,
                            changes: [FileChange]) async throws -> CommitRecord {
        var attempt = 0
        while true {
            do {
                return try await applyCommitOnce(repoID: repoID, ref: ref, expectedHead: expectedHead, commit: commit, changes: changes)
            } catch HubDatabaseError.parentMismatch where expectedHead == nil && attempt < 8 {
                attempt += 1
            }
        }
    }

    private func applyCommitOnce(repoID: String, ref: String, expectedHead: String?, commit: CommitRecord,
                                 changes: [FileChange]) async throws -> CommitRecord {
        let lock = sql.rowLockClause
        return try await sql.transaction { tx in
            guard let headRow = try await tx.one("SELECT commit_id FROM refs WHERE repo_id = ? AND name = ?\(lock)",
                                                 [.text(repoID), .text(ref)]), let head = headRow[0].text else {
                throw HubDatabaseError.notFound("revision '\(ref)'")
            }
            if let expectedHead, expectedHead.lowercased() != head {
                throw HubDatabaseError.parentMismatch(expected: expectedHead, actual: head)
            }
            var files: [String: FileRecord] = [:]
            for row in try await tx.query("SELECT \(Self.fileColumns) FROM commit_files WHERE commit_id = ?", [.text(head)]) {
                let f = try Self.file(row)
                files[f.path] = f
            }
            for change in changes {
                switch change {
                case .put(var f):
                    if let old = files[f.path], old.gitOID == f.gitOID, old.isLFS == f.isLFS, old.sha256 == f.sha256 {
                        f.lastCommitID = old.lastCommitID
                    } else {
                        f.lastCommitID = commit.id
                    }
                    files[f.path] = f
                case .delete(let path):
                    guard files.removeValue(forKey: path) != nil else { throw HubDatabaseError.notFound(path) }
                case .deleteFolder(let prefix):
                    let doomed = files.keys.filter { $0.hasPrefix(prefix) }
                    guard !doomed.isEmpty else { throw HubDatabaseError.notFound(prefix) }
                    for path in doomed { files.removeValue(forKey: path) }
                }
            }
            var record = commit
            record.parentID = head
            try await Self.insertCommit(tx, record)
            for f in files.values { try await Self.insertFile(tx, commitID: record.id, f) }
            // Compare-and-set: another hub instance may have moved the branch since we read it.
            guard try await tx.one("UPDATE refs SET commit_id = ? WHERE repo_id = ? AND name = ? AND commit_id = ? RETURNING name",
                                   [.text(record.id), .text(repoID), .text(ref), .text(head)]) != nil else {
                throw HubDatabaseError.parentMismatch(expected: head, actual: "a newer commit")
            }
            try await tx.execute("UPDATE repos SET last_modified = ? WHERE id = ?", [.int(record.createdAt), .text(repoID)])
            return record
        }
    }

    // MARK: LFS objects

    /// Records a stored LFS object and who uploaded it.
    public func putLFSObject(_ object: LFSObjectRecord, uploader: String) async throws {
        try await sql.transaction { tx in
            try await tx.execute("INSERT INTO lfs_objects (sha256, size, cid, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                 [.text(object.sha256), .int(object.size), .text(object.cid), .int(Self.now())])
            try await tx.execute("INSERT INTO lfs_uploaders (sha256, user_name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                 [.text(object.sha256), .text(uploader)])
        }
    }

    public func lfsObject(sha256: String) async throws -> LFSObjectRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT sha256, size, cid FROM lfs_objects WHERE sha256 = ?", [.text(sha256)])
                .map { LFSObjectRecord(sha256: try $0.text("sha256"), size: try $0.int("size"), cid: try $0.text("cid")) }
        }
    }

    public func isLFSUploader(sha256: String, userName: String) async throws -> Bool {
        try await sql.transaction { tx in
            try await tx.one("SELECT 1 FROM lfs_uploaders WHERE sha256 = ? AND user_name = ?", [.text(sha256), .text(userName)]) != nil
        }
    }

    /// Repos with a commit holding a file of this content (for the "can read a repo that holds it" rule).
    public func reposHolding(sha256: String) async throws -> [RepoRecord] {
        try await sql.transaction { tx in
            try await tx.query("""
                SELECT DISTINCT r.id, r.type, r.namespace, r.name, r.private, r.created_at, r.last_modified
                FROM commit_files f JOIN commits c ON c.id = f.commit_id JOIN repos r ON r.id = c.repo_id
                WHERE f.sha256 = ?
                """, [.text(sha256)]).map(Self.repo)
        }
    }

    // MARK: discussions and pull requests

    static let discussionColumns = "repo_id, num, title, description, author, is_pr, status, created_at, base_commit"

    static func discussion(_ row: SQLRow) throws -> DiscussionRecord {
        DiscussionRecord(repoID: try row.text("repo_id"), num: try row.int("num"), title: try row.text("title"),
                         description: try row.text("description"), author: try row.text("author"),
                         isPullRequest: try row.bool("is_pr"), status: try row.text("status"),
                         createdAt: try row.int("created_at"), baseCommitID: try row.text("base_commit"))
    }

    /// Opens a discussion; a pull request also gets the ref `refs/pr/N` at the head of `main`.
    public func createDiscussion(repoID: String, title: String, description: String, author: String,
                                 isPullRequest: Bool) async throws -> DiscussionRecord {
        try await sql.transaction { tx in
            guard let head = try await tx.one("SELECT commit_id FROM refs WHERE repo_id = ? AND name = 'main'", [.text(repoID)])?[0].text else {
                throw HubDatabaseError.notFound("branch 'main'")
            }
            let num = try await tx.one("SELECT COALESCE(MAX(num), 0) + 1 FROM discussions WHERE repo_id = ?", [.text(repoID)])?[0].int ?? 1
            let d = DiscussionRecord(repoID: repoID, num: num, title: title, description: description, author: author,
                                     isPullRequest: isPullRequest, status: isPullRequest ? "draft" : "open",
                                     createdAt: Self.now(), baseCommitID: head)
            try await tx.execute("INSERT INTO discussions (\(Self.discussionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [.text(repoID), .int(num), .text(title), .text(description), .text(author),
                                  SQLValue(isPullRequest), .text(d.status), .int(d.createdAt), .text(head)])
            if isPullRequest {
                try await tx.execute("INSERT INTO refs (repo_id, name, commit_id) VALUES (?, ?, ?)",
                                     [.text(repoID), .text("refs/pr/\(num)"), .text(head)])
            }
            return d
        }
    }

    public func discussion(repoID: String, num: Int64) async throws -> DiscussionRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT \(Self.discussionColumns) FROM discussions WHERE repo_id = ? AND num = ?",
                             [.text(repoID), .int(num)]).map(Self.discussion)
        }
    }

    public func discussions(repoID: String) async throws -> [DiscussionRecord] {
        try await sql.transaction { tx in
            try await tx.query("SELECT \(Self.discussionColumns) FROM discussions WHERE repo_id = ? ORDER BY num DESC",
                               [.text(repoID)]).map(Self.discussion)
        }
    }

    public func setDiscussionStatus(repoID: String, num: Int64, status: String) async throws {
        try await sql.transaction { tx in
            try await tx.execute("UPDATE discussions SET status = ? WHERE repo_id = ? AND num = ?",
                                 [.text(status), .text(repoID), .int(num)])
        }
    }
}
