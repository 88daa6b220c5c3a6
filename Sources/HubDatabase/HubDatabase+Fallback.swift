import Foundation

/// A fallback source as the admin API stores it. The token is kept sealed (see the hub's TokenCipher).
public struct FallbackSourceRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var url: String
    public var sourceType: String
    public var priority: Int64
    public var namespace: String
    public var sealedToken: String?
    public var enabled: Bool
    public var createdAt: Int64

    public init(id: String, name: String, url: String, sourceType: String, priority: Int64, namespace: String,
                sealedToken: String?, enabled: Bool, createdAt: Int64) {
        self.id = id; self.name = name; self.url = url; self.sourceType = sourceType; self.priority = priority
        self.namespace = namespace; self.sealedToken = sealedToken; self.enabled = enabled; self.createdAt = createdAt
    }
}

/// A file pulled through from a source, verified and stored locally under `cid`.
public struct MirroredFileRecord: Sendable, Equatable {
    public var sourceName: String
    public var sourceURL: String
    public var type: RepoType
    public var namespace: String
    public var name: String
    public var commitID: String
    public var path: String
    public var size: Int64
    public var gitOID: String
    public var sha256: String
    public var isLFS: Bool
    public var cid: String
    public var lastAccess: Int64

    public init(sourceName: String, sourceURL: String, type: RepoType, namespace: String, name: String, commitID: String,
                path: String, size: Int64, gitOID: String, sha256: String, isLFS: Bool, cid: String, lastAccess: Int64) {
        self.sourceName = sourceName; self.sourceURL = sourceURL; self.type = type; self.namespace = namespace
        self.name = name; self.commitID = commitID; self.path = path; self.size = size; self.gitOID = gitOID
        self.sha256 = sha256; self.isLFS = isLFS; self.cid = cid; self.lastAccess = lastAccess
    }
}

/// The last commit a source named for a revision, kept so the mirror still answers when the source is gone.
public struct MirroredRefRecord: Sendable, Equatable {
    public var commitID: String
    public var updatedAt: Int64
    public var sourceName: String
    public var sourceURL: String
    public init(commitID: String, updatedAt: Int64, sourceName: String, sourceURL: String) {
        self.commitID = commitID; self.updatedAt = updatedAt; self.sourceName = sourceName; self.sourceURL = sourceURL
    }
}

/// The last good metadata answer (repo info, tree page, paths-info) of a source, for offline use.
public struct MirroredResponseRecord: Sendable, Equatable {
    public var body: String
    public var headers: String
    public var sourceName: String
    public var sourceURL: String
    public var updatedAt: Int64
    public init(body: String, headers: String, sourceName: String, sourceURL: String, updatedAt: Int64) {
        self.body = body; self.headers = headers; self.sourceName = sourceName; self.sourceURL = sourceURL; self.updatedAt = updatedAt
    }
}

/// The pull-through mirror's tables, made by `Schema` migration 4 like every other table.
extension HubDatabase {
    // MARK: leases (one upstream download per file across every hub process on this database)

    /// Takes the lease on `key` for `owner` until `ttlMillis` from now, unless another owner holds an
    /// unexpired one. Expired leases (a process that died mid-download) are taken over.
    public func claimLease(key: String, owner: String, ttlMillis: Int64) async throws -> Bool {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await sql.transaction { tx in
            try await tx.execute("DELETE FROM fallback_leases WHERE lease_key = ? AND expires_at < ?", [.text(key), .int(now)])
            return try await tx.one("""
                INSERT INTO fallback_leases (lease_key, owner, expires_at) VALUES (?, ?, ?)
                ON CONFLICT DO NOTHING RETURNING lease_key
                """, [.text(key), .text(owner), .int(now + ttlMillis)]) != nil
        }
    }

    /// Extends a lease this owner holds; false when it was lost (expired and taken over).
    public func renewLease(key: String, owner: String, ttlMillis: Int64) async throws -> Bool {
        let until = Int64(Date().timeIntervalSince1970 * 1000) + ttlMillis
        return try await sql.transaction { tx in
            try await tx.one("UPDATE fallback_leases SET expires_at = ? WHERE lease_key = ? AND owner = ? RETURNING lease_key",
                             [.int(until), .text(key), .text(owner)]) != nil
        }
    }

    public func releaseLease(key: String, owner: String) async throws {
        try await sql.transaction { tx in
            try await tx.execute("DELETE FROM fallback_leases WHERE lease_key = ? AND owner = ?", [.text(key), .text(owner)])
        }
    }

    /// Whether someone holds an unexpired lease on `key`.
    public func leaseHeld(key: String) async throws -> Bool {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await !sql.read("SELECT owner FROM fallback_leases WHERE lease_key = ? AND expires_at >= ?",
                                   [.text(key), .int(now)]).isEmpty
    }

    // MARK: sources

    static let sourceColumns = "id, name, url, source_type, priority, namespace, token, enabled, created_at"

    static func fallbackSource(_ r: SQLRow) throws -> FallbackSourceRecord {
        FallbackSourceRecord(id: try r.text("id"), name: try r.text("name"), url: try r.text("url"),
                             sourceType: try r.text("source_type"), priority: try r.int("priority"),
                             namespace: try r.text("namespace"), sealedToken: try r.optionalText("token"),
                             enabled: try r.bool("enabled"), createdAt: try r.int("created_at"))
    }

    public func fallbackSources() async throws -> [FallbackSourceRecord] {
        try await sql.transaction { tx in
            try await tx.query("SELECT \(Self.sourceColumns) FROM fallback_sources ORDER BY priority, created_at, id", [])
                .map(Self.fallbackSource)
        }
    }

    public func fallbackSource(id: String) async throws -> FallbackSourceRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT \(Self.sourceColumns) FROM fallback_sources WHERE id = ?", [.text(id)]).map(Self.fallbackSource)
        }
    }

    /// Inserts or replaces the source with this id.
    public func putFallbackSource(_ s: FallbackSourceRecord) async throws {
        try await sql.transaction { tx in
            try await tx.execute("""
                INSERT INTO fallback_sources (\(Self.sourceColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url, source_type = excluded.source_type,
                  priority = excluded.priority, namespace = excluded.namespace, token = excluded.token,
                  enabled = excluded.enabled
                """, [.text(s.id), .text(s.name), .text(s.url), .text(s.sourceType), .int(s.priority), .text(s.namespace),
                      SQLValue(s.sealedToken), SQLValue(s.enabled), .int(s.createdAt)])
        }
    }

    public func deleteFallbackSource(id: String) async throws {
        try await sql.transaction { tx in
            guard try await tx.one("DELETE FROM fallback_sources WHERE id = ? RETURNING id", [.text(id)]) != nil else {
                throw HubDatabaseError.notFound("fallback source '\(id)'")
            }
        }
    }

    // MARK: mirrored files

    static let mirrorColumns = "type, namespace, name, commit_id, path, size, git_oid, sha256, is_lfs, cid, source_name, source_url, last_access"

    static func mirrored(_ r: SQLRow) throws -> MirroredFileRecord {
        MirroredFileRecord(sourceName: try r.text("source_name"), sourceURL: try r.text("source_url"),
                           type: try repoType(r), namespace: try r.text("namespace"), name: try r.text("name"),
                           commitID: try r.text("commit_id"), path: try r.text("path"), size: try r.int("size"),
                           gitOID: try r.text("git_oid"), sha256: try r.text("sha256"), isLFS: try r.bool("is_lfs"),
                           cid: try r.text("cid"), lastAccess: try r.int("last_access"))
    }

    public func mirroredFile(type: RepoType, namespace: String, name: String, commitID: String, path: String) async throws -> MirroredFileRecord? {
        try await sql.transaction { tx in
            try await tx.one("""
                SELECT \(Self.mirrorColumns) FROM fallback_files
                WHERE type = ? AND namespace = ? AND name = ? AND commit_id = ? AND path = ?
                """, [.text(type.rawValue), .text(namespace), .text(name), .text(commitID), .text(path)]).map(Self.mirrored)
        }
    }

    public func recordMirroredFile(_ f: MirroredFileRecord) async throws {
        try await sql.transaction { tx in
            try await tx.execute("""
                INSERT INTO fallback_files (\(Self.mirrorColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (type, namespace, name, commit_id, path) DO UPDATE SET size = excluded.size,
                  git_oid = excluded.git_oid, sha256 = excluded.sha256, is_lfs = excluded.is_lfs, cid = excluded.cid,
                  source_name = excluded.source_name, source_url = excluded.source_url, last_access = excluded.last_access
                """, [.text(f.type.rawValue), .text(f.namespace), .text(f.name), .text(f.commitID), .text(f.path), .int(f.size),
                      .text(f.gitOID), .text(f.sha256), SQLValue(f.isLFS), .text(f.cid), .text(f.sourceName), .text(f.sourceURL),
                      .int(f.lastAccess)])
        }
    }

    public func touchMirroredContent(cid: String, at time: Int64) async throws {
        try await sql.transaction { tx in
            try await tx.execute("UPDATE fallback_files SET last_access = ? WHERE cid = ?", [.int(time), .text(cid)])
        }
    }

    /// Bytes of distinct pulled-through content that no pin holds.
    public func mirroredUnpinnedBytes() async throws -> Int64 {
        try await sql.transaction { tx in
            try await tx.one("""
                SELECT COALESCE(SUM(size), 0) AS total FROM (SELECT cid, MAX(size) AS size FROM fallback_files
                  WHERE cid NOT IN (SELECT cid FROM pins) GROUP BY cid) AS m
                """, [])?.int("total") ?? 0
        }
    }

    /// Unpinned pulled-through contents, least recently used first: (cid, size).
    public func mirroredEvictionCandidates(limit: Int) async throws -> [(cid: String, size: Int64)] {
        try await sql.transaction { tx in
            try await tx.query("""
                SELECT cid, MAX(size) AS size, MAX(last_access) AS last FROM fallback_files
                WHERE cid NOT IN (SELECT cid FROM pins) GROUP BY cid ORDER BY last, cid LIMIT ?
                """, [.int(Int64(limit))]).map { (try $0.text("cid"), try $0.int("size")) }
        }
    }

    /// Forgets every mirrored file with this content; true when nothing else (a hub commit, a pin) still holds it.
    public func forgetMirroredContent(cid: String) async throws -> Bool {
        try await sql.transaction { tx in
            try await tx.execute("DELETE FROM fallback_files WHERE cid = ?", [.text(cid)])
            return try await !Self.heldElsewhere(tx, cid: cid)
        }
    }

    /// Whether content is held by anything but the mirror (used before deleting a failed download's bytes).
    public func isContentReferenced(cid: String) async throws -> Bool {
        try await sql.transaction { tx in
            if try await Self.heldElsewhere(tx, cid: cid) { return true }
            return try await tx.one("SELECT 1 FROM fallback_files WHERE cid = ? LIMIT 1", [.text(cid)]) != nil
        }
    }

    /// A hub commit, an LFS object or a pin holds this content.
    static func heldElsewhere(_ tx: any SQLTransaction, cid: String) async throws -> Bool {
        if try await tx.one("SELECT 1 FROM commit_files WHERE cid = ? LIMIT 1", [.text(cid)]) != nil { return true }
        if try await tx.one("SELECT 1 FROM pins WHERE cid = ?", [.text(cid)]) != nil { return true }
        return try await tx.one("SELECT 1 FROM lfs_objects WHERE cid = ? LIMIT 1", [.text(cid)]) != nil
    }

    // MARK: refs and metadata answers

    public func mirroredRef(type: RepoType, namespace: String, name: String, revision: String) async throws -> MirroredRefRecord? {
        try await sql.transaction { tx in
            try await tx.one("""
                SELECT commit_id, updated_at, source_name, source_url FROM fallback_refs
                WHERE type = ? AND namespace = ? AND name = ? AND revision = ?
                """, [.text(type.rawValue), .text(namespace), .text(name), .text(revision)]).map {
                MirroredRefRecord(commitID: try $0.text("commit_id"), updatedAt: try $0.int("updated_at"),
                                  sourceName: try $0.text("source_name"), sourceURL: try $0.text("source_url"))
            }
        }
    }

    public func recordMirroredRef(type: RepoType, namespace: String, name: String, revision: String, _ ref: MirroredRefRecord) async throws {
        try await sql.transaction { tx in
            try await tx.execute("""
                INSERT INTO fallback_refs (type, namespace, name, revision, commit_id, updated_at, source_name, source_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (type, namespace, name, revision) DO UPDATE SET commit_id = excluded.commit_id,
                  updated_at = excluded.updated_at, source_name = excluded.source_name, source_url = excluded.source_url
                """, [.text(type.rawValue), .text(namespace), .text(name), .text(revision), .text(ref.commitID),
                      .int(ref.updatedAt), .text(ref.sourceName), .text(ref.sourceURL)])
        }
    }

    public func mirroredResponse(type: RepoType, namespace: String, name: String, key: String) async throws -> MirroredResponseRecord? {
        try await sql.transaction { tx in
            try await tx.one("""
                SELECT body, headers, source_name, source_url, updated_at FROM fallback_responses
                WHERE type = ? AND namespace = ? AND name = ? AND req_key = ?
                """, [.text(type.rawValue), .text(namespace), .text(name), .text(key)]).map {
                MirroredResponseRecord(body: try $0.text("body"), headers: try $0.text("headers"),
                                       sourceName: try $0.text("source_name"), sourceURL: try $0.text("source_url"),
                                       updatedAt: try $0.int("updated_at"))
            }
        }
    }

    public func recordMirroredResponse(type: RepoType, namespace: String, name: String, key: String, _ r: MirroredResponseRecord) async throws {
        try await sql.transaction { tx in
            try await tx.execute("""
                INSERT INTO fallback_responses (type, namespace, name, req_key, body, headers, source_name, source_url, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (type, namespace, name, req_key) DO UPDATE SET body = excluded.body, headers = excluded.headers,
                  source_name = excluded.source_name, source_url = excluded.source_url, updated_at = excluded.updated_at
                """, [.text(type.rawValue), .text(namespace), .text(name), .text(key), .text(r.body), .text(r.headers),
                      .text(r.sourceName), .text(r.sourceURL), .int(r.updatedAt)])
        }
    }
}
