import Foundation

/// Raw git objects of pushed commits (see `Schema` migration 3). Data is stored base64 so that one
/// text column serves SQLite and PostgreSQL alike.
extension HubDatabase {
    public func putGitObjects(repoID: String, _ objects: [(id: String, type: String, data: [UInt8])]) async throws {
        guard !objects.isEmpty else { return }
        try await sql.transaction { tx in
            for o in objects {
                try await tx.execute("INSERT INTO git_objects (repo_id, id, type, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                     [.text(repoID), .text(o.id), .text(o.type), .text(Data(o.data).base64EncodedString())])
            }
        }
    }

    public func gitObject(repoID: String, id: String) async throws -> (type: String, data: [UInt8])? {
        guard let row = try await sql.read("SELECT type, data FROM git_objects WHERE repo_id = ? AND id = ?",
                                           [.text(repoID), .text(id)]).first else { return nil }
        let text = try row.text("data")
        guard let data = Data(base64Encoded: text) else {
            throw HubDatabaseError.backend("git object \(id) of repo \(repoID) is stored damaged (its data is not base64)")
        }
        return (try row.text("type"), Array(data))
    }
}
