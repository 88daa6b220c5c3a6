import Foundation

extension HubDatabase {
    /// Every content CID the hub still refers to: files of every commit, stored LFS objects, hub
    /// pins and pulled-through copies. Garbage collection keeps these (hub content is not pinned,
    /// because a pin makes content public on the gateway). They come from `referencedRoots`, so what
    /// gc keeps is exactly what `repo verify` checks. The mirror table always exists (Schema
    /// migration 4), so an error reading it stops gc instead of reading as "nothing mirrored".
    public func referencedCIDs() async throws -> Set<String> {
        Set(try await referencedRoots().map(\.cid))
    }

    /// One content root the database refers to, for `repo verify`: who needs it (the first owner in
    /// sort order and how many rows name it) and the byte sizes those rows record.
    package struct ReferencedRoot: Sendable {
        package var cid: String
        package var owner: String
        package var references: Int
        package var sizes: ClosedRange<Int64>?
    }

    /// Every content root the database refers to (commit files, LFS objects, hub pins, mirrored
    /// copies), with an owner to name in a report.
    package func referencedRoots() async throws -> [ReferencedRoot] {
        let repo = "COALESCE(r.type || ' ' || r.namespace || '/' || r.name, 'commit ' || cf.commit_id)"
        let queries = [
            """
            SELECT cf.cid AS cid, MIN(\(repo) || ':' || cf.path) AS owner, COUNT(*) AS refs, MIN(cf.size) AS lo, MAX(cf.size) AS hi
              FROM commit_files cf
              LEFT JOIN commits c ON c.id = cf.commit_id LEFT JOIN repos r ON r.id = c.repo_id GROUP BY cf.cid
            """,
            "SELECT cid, MIN('lfs object ' || sha256) AS owner, COUNT(*) AS refs, MIN(size) AS lo, MAX(size) AS hi FROM lfs_objects GROUP BY cid",
            "SELECT cid, 'hub pin' AS owner, 1 AS refs, NULL AS lo, NULL AS hi FROM pins",
            """
            SELECT cid, MIN('mirror ' || type || ' ' || namespace || '/' || name || ':' || path) AS owner, COUNT(*) AS refs,
              MIN(size) AS lo, MAX(size) AS hi
              FROM fallback_files GROUP BY cid
            """,
        ]
        var out: [ReferencedRoot] = []
        for q in queries {
            let rows = try await sql.transaction { tx in try await tx.query(q, []) }
            for row in rows {
                let lo = try row.optionalInt("lo"), hi = try row.optionalInt("hi")
                let sizes = lo.flatMap { lo in hi.map { hi in lo...max(lo, hi) } }
                out.append(ReferencedRoot(cid: try row.text("cid"), owner: try row.optionalText("owner") ?? "?",
                                          references: Int(try row.int("refs")), sizes: sizes))
            }
        }
        return out
    }

    /// Database rows that point at a commit that is not there (a branch or a parent), for `repo verify`:
    /// a commit is written in one transaction with its ref, so any of these is half-written state.
    package func danglingReferences() async throws -> [String] {
        let repo = "rp.type || ' ' || rp.namespace || '/' || rp.name"
        let queries = [
            """
            SELECT \(repo) AS repo, 'ref ' || f.name || ' points at missing commit ' || f.commit_id AS problem FROM refs f
              JOIN repos rp ON rp.id = f.repo_id LEFT JOIN commits c ON c.id = f.commit_id WHERE c.id IS NULL
            """,
            """
            SELECT \(repo) AS repo, 'commit ' || c.id || ' has missing parent ' || c.parent_id AS problem FROM commits c
              JOIN repos rp ON rp.id = c.repo_id LEFT JOIN commits p ON p.id = c.parent_id
              WHERE c.parent_id IS NOT NULL AND c.parent_id <> '' AND p.id IS NULL
            """,
        ]
        var out: [String] = []
        for q in queries {
            for row in try await sql.transaction({ tx in try await tx.query(q, []) }) {
                out.append("\(try row.text("repo")): \(try row.text("problem"))")
            }
        }
        return out
    }
}
