import Foundation

extension HubDatabase {
    static let repoColumns = "id, type, namespace, name, private, created_at, last_modified"

    static func repo(_ row: SQLRow) throws -> RepoRecord {
        RepoRecord(id: try row.text("id"), type: try repoType(row), namespace: try row.text("namespace"),
                   name: try row.text("name"), isPrivate: try row.bool("private"), createdAt: try row.int("created_at"),
                   lastModified: try row.int("last_modified"))
    }

    /// A row's `type` column, which only the hub writes; anything else is a damaged row, not a model.
    static func repoType(_ row: SQLRow) throws -> RepoType {
        let raw = try row.text("type")
        guard let type = RepoType(rawValue: raw) else { throw HubDatabaseError.backend("column 'type' holds '\(raw)', not a repo type") }
        return type
    }

    /// Creates a repo with an initial commit on `main`.
    public func createRepo(type: RepoType, namespace: String, name: String, isPrivate: Bool,
                           initialCommit: CommitRecord) async throws -> RepoRecord {
        let now = Self.now()
        let repo = RepoRecord(id: initialCommit.repoID, type: type, namespace: namespace, name: name,
                              isPrivate: isPrivate, createdAt: now, lastModified: now)
        try await sql.transaction { tx in
            if try await tx.one("SELECT id FROM repos WHERE type = ? AND namespace = ? AND name = ?",
                                [.text(type.rawValue), .text(namespace), .text(name)]) != nil {
                throw HubDatabaseError.alreadyExists("\(type.rawValue) repository '\(namespace)/\(name)'")
            }
            try await tx.execute("INSERT INTO repos (\(Self.repoColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [.text(repo.id), .text(type.rawValue), .text(namespace), .text(name),
                                  SQLValue(isPrivate), .int(now), .int(now)])
            try await Self.insertCommit(tx, initialCommit)
            try await tx.execute("INSERT INTO refs (repo_id, name, commit_id) VALUES (?, 'main', ?)",
                                 [.text(repo.id), .text(initialCommit.id)])
        }
        return repo
    }

    public func repo(type: RepoType, namespace: String, name: String) async throws -> RepoRecord? {
        try await sql.read("SELECT \(Self.repoColumns) FROM repos WHERE type = ? AND namespace = ? AND name = ?",
                           [.text(type.rawValue), .text(namespace), .text(name)]).first.map(Self.repo)
    }

    public func deleteRepo(id: String) async throws {
        try await sql.transaction { tx in
            // Children first: SQLite's foreign keys may be off on older files, PostgreSQL cascades anyway.
            try await tx.execute("DELETE FROM commit_files WHERE commit_id IN (SELECT id FROM commits WHERE repo_id = ?)", [.text(id)])
            try await tx.execute("DELETE FROM refs WHERE repo_id = ?", [.text(id)])
            try await tx.execute("DELETE FROM discussions WHERE repo_id = ?", [.text(id)])
            try await tx.execute("DELETE FROM git_objects WHERE repo_id = ?", [.text(id)])
            try await tx.execute("DELETE FROM commits WHERE repo_id = ?", [.text(id)])
            guard try await tx.one("DELETE FROM repos WHERE id = ? RETURNING id", [.text(id)]) != nil else {
                throw HubDatabaseError.notFound("repository")
            }
        }
    }

    public func moveRepo(id: String, toNamespace: String, toName: String) async throws {
        try await sql.transaction { tx in
            guard let row = try await tx.one("SELECT type FROM repos WHERE id = ?", [.text(id)]) else {
                throw HubDatabaseError.notFound("repository")
            }
            if try await tx.one("SELECT id FROM repos WHERE type = ? AND namespace = ? AND name = ?",
                                [row[0], .text(toNamespace), .text(toName)]) != nil {
                throw HubDatabaseError.alreadyExists("repository '\(toNamespace)/\(toName)'")
            }
            try await tx.execute("UPDATE repos SET namespace = ?, name = ?, last_modified = ? WHERE id = ?",
                                 [.text(toNamespace), .text(toName), .int(Self.now()), .text(id)])
        }
    }

    public func setPrivate(id: String, isPrivate: Bool) async throws {
        try await sql.transaction { tx in
            try await tx.execute("UPDATE repos SET private = ? WHERE id = ?", [SQLValue(isPrivate), .text(id)])
        }
    }

    /// Repos of one type, newest first. `viewer`: private repos of these namespaces are included
    /// (`nil` = public only); `allPrivate` includes every private repo (admins).
    public func listRepos(type: RepoType, author: String?, search: String?, limit: Int, offset: Int,
                          viewerNamespaces: [String], allPrivate: Bool) async throws -> [RepoRecord] {
        var sqlText = "SELECT \(Self.repoColumns) FROM repos WHERE type = ?"
        var args: [SQLValue] = [.text(type.rawValue)]
        if let author { sqlText += " AND namespace = ?"; args.append(.text(author)) }
        if let search, !search.isEmpty {
            sqlText += " AND LOWER(namespace || '/' || name) LIKE ?"
            let escaped = search.lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
            args.append(.text("%\(escaped)%"))
        }
        if !allPrivate {
            if viewerNamespaces.isEmpty {
                sqlText += " AND private = 0"
            } else {
                sqlText += " AND (private = 0 OR namespace IN (\(viewerNamespaces.map { _ in "?" }.joined(separator: ", "))))"
                args += viewerNamespaces.map { .text($0) }
            }
        }
        sqlText += " ORDER BY last_modified DESC, namespace, name LIMIT ? OFFSET ?"
        args += [.int(Int64(limit)), .int(Int64(offset))]
        let query = sqlText
        let bound = args
        return try await sql.transaction { tx in try await tx.query(query, bound).map(Self.repo) }
    }

    // MARK: pins and reachability (gateway)

    public func pin(cid: String) async throws {
        try await sql.transaction { tx in
            try await tx.execute("INSERT INTO pins (cid, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [.text(cid), .int(Self.now())])
        }
    }

    public func unpin(cid: String) async throws {
        try await sql.transaction { tx in try await tx.execute("DELETE FROM pins WHERE cid = ?", [.text(cid)]) }
    }

    /// True when `cid` is pinned or is a file of any commit of a public repo.
    public func isPubliclyReachable(cid: String) async throws -> Bool {
        try await sql.transaction { tx in
            if try await tx.one("SELECT cid FROM pins WHERE cid = ?", [.text(cid)]) != nil { return true }
            return try await tx.one("""
                SELECT 1 FROM commit_files f JOIN commits c ON c.id = f.commit_id JOIN repos r ON r.id = c.repo_id
                WHERE f.cid = ? AND r.private = 0 LIMIT 1
                """, [.text(cid)]) != nil
        }
    }
}
