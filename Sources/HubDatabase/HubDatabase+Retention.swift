import Foundation

extension HubDatabase {
    /// Every content CID the hub still refers to: files of every commit, stored LFS objects, and
    /// pulled-through copies. Garbage collection keeps these (hub content is not pinned, because a
    /// pin makes content public on the gateway).
    public func referencedCIDs() async throws -> Set<String> {
        var out = Set<String>()
        let queries = ["SELECT DISTINCT cid FROM commit_files", "SELECT DISTINCT cid FROM lfs_objects", "SELECT cid FROM pins"]
        for q in queries {
            let rows = try await sql.transaction { tx in try await tx.query(q, []) }
            for row in rows { if let c = row[0].text { out.insert(c) } }
        }
        // Mirrored copies count too. The table is made here if the fallback was never enabled, so that
        // any error reading it stops gc (it used to read as "no mirror" and let gc delete mirrored content).
        try await prepareFallbackTables()
        let rows = try await sql.transaction { tx in try await tx.query("SELECT DISTINCT cid FROM fallback_files", []) }
        for row in rows { if let c = row[0].text { out.insert(c) } }
        return out
    }
}
