import Foundation

/// Organisations and their members. An org's name is a namespace, so it shares one name space with users:
/// `createOrg` refuses a user's name and `createUser` an org's.
extension HubDatabase {
    public func createOrg(name: String, fullname: String? = nil) async throws -> OrgRecord {
        let org = OrgRecord(name: name, fullname: fullname.flatMap { $0.isEmpty ? nil : $0 } ?? name, createdAt: Self.now())
        try await sql.transaction { tx in
            if try await tx.one("SELECT name FROM orgs WHERE name = ?", [.text(name)]) != nil {
                throw HubDatabaseError.alreadyExists("organisation '\(name)'")
            }
            if try await tx.one("SELECT name FROM users WHERE name = ?", [.text(name)]) != nil {
                throw HubDatabaseError.alreadyExists("a user named '\(name)'")
            }
            try await tx.execute("INSERT INTO orgs (name, fullname, created_at) VALUES (?, ?, ?)",
                                 [.text(org.name), .text(org.fullname), .int(org.createdAt)])
        }
        return org
    }

    public func org(named name: String) async throws -> OrgRecord? {
        try await sql.transaction { tx in
            try await tx.one("SELECT name, fullname, created_at FROM orgs WHERE name = ?", [.text(name)]).map(Self.org)
        }
    }

    public func orgs() async throws -> [OrgRecord] {
        try await sql.transaction { tx in
            try await tx.query("SELECT name, fullname, created_at FROM orgs ORDER BY name", []).map(Self.org)
        }
    }

    /// Deletes an org and its memberships. Refused while repos live in its namespace: they would otherwise
    /// pass to whoever next takes the name.
    public func deleteOrg(name: String) async throws {
        // The refusal is returned from the transaction (which then changes nothing) and thrown after it:
        // the executors pass only HubDatabaseError through a transaction unchanged.
        let blocker: OrgNotEmptyError? = try await sql.transaction { tx in
            guard try await tx.one("SELECT name FROM orgs WHERE name = ?", [.text(name)]) != nil else {
                throw HubDatabaseError.notFound("organisation '\(name)'")
            }
            if let row = try await tx.one("SELECT type, name FROM repos WHERE namespace = ? ORDER BY type, name LIMIT 1", [.text(name)]) {
                return OrgNotEmptyError(org: name, repo: "\(name)/\(try row.text("name"))", type: try row.text("type"))
            }
            try await tx.execute("DELETE FROM org_members WHERE org_name = ?", [.text(name)])
            try await tx.execute("DELETE FROM orgs WHERE name = ?", [.text(name)])
            return nil
        }
        if let blocker { throw blocker }
    }

    /// Adds `userName` to the org with `role`, or changes the role of an existing member.
    @discardableResult
    public func setOrgMember(orgName: String, userName: String, role: OrgRole) async throws -> OrgMembershipRecord {
        let record = OrgMembershipRecord(orgName: orgName, userName: userName, role: role, createdAt: Self.now())
        try await sql.transaction { tx in
            guard try await tx.one("SELECT name FROM orgs WHERE name = ?", [.text(orgName)]) != nil else {
                throw HubDatabaseError.notFound("organisation '\(orgName)'")
            }
            guard try await tx.one("SELECT name FROM users WHERE name = ?", [.text(userName)]) != nil else {
                throw HubDatabaseError.notFound("user '\(userName)'")
            }
            try await tx.execute("""
                INSERT INTO org_members (org_name, user_name, role, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (org_name, user_name) DO UPDATE SET role = excluded.role
                """, [.text(orgName), .text(userName), .text(role.rawValue), .int(record.createdAt)])
        }
        return record
    }

    public func removeOrgMember(orgName: String, userName: String) async throws {
        try await sql.transaction { tx in
            guard try await tx.one("DELETE FROM org_members WHERE org_name = ? AND user_name = ? RETURNING user_name",
                                   [.text(orgName), .text(userName)]) != nil else {
                throw HubDatabaseError.notFound("member '\(userName)' of organisation '\(orgName)'")
            }
        }
    }

    public func orgMembers(orgName: String) async throws -> [OrgMembershipRecord] {
        try await sql.transaction { tx in
            guard try await tx.one("SELECT name FROM orgs WHERE name = ?", [.text(orgName)]) != nil else {
                throw HubDatabaseError.notFound("organisation '\(orgName)'")
            }
            return try await tx.query("""
                SELECT org_name, user_name, role, created_at FROM org_members WHERE org_name = ? ORDER BY user_name
                """, [.text(orgName)]).map(Self.membership)
        }
    }

    /// The orgs `userName` belongs to, with the role in each. Read on every authenticated request, so it
    /// runs outside a transaction like the token lookup it follows.
    public func orgMemberships(userName: String) async throws -> [(org: OrgRecord, role: OrgRole)] {
        try await sql.read("""
            SELECT o.name, o.fullname, o.created_at, m.role FROM org_members m JOIN orgs o ON o.name = m.org_name
            WHERE m.user_name = ? ORDER BY o.name
            """, [.text(userName)]).map { row in
            (try Self.org(row), try Self.role(row))
        }
    }

    static func org(_ row: SQLRow) throws -> OrgRecord {
        OrgRecord(name: try row.text("name"), fullname: try row.text("fullname"), createdAt: try row.int("created_at"))
    }

    static func membership(_ row: SQLRow) throws -> OrgMembershipRecord {
        OrgMembershipRecord(orgName: try row.text("org_name"), userName: try row.text("user_name"),
                            role: try role(row), createdAt: try row.int("created_at"))
    }

    /// An unknown role (written by a newer hub) is read as the weakest one rather than failing the request.
    static func role(_ row: SQLRow) throws -> OrgRole {
        OrgRole(rawValue: try row.text("role")) ?? .read
    }
}

/// `deleteOrg` refused: the org still owns at least this repo.
public struct OrgNotEmptyError: Error, Equatable, CustomStringConvertible {
    public var org: String
    public var repo: String
    public var type: String
    public init(org: String, repo: String, type: String) { self.org = org; self.repo = repo; self.type = type }
    public var description: String {
        "organisation '\(org)' still owns the \(type) repository '\(repo)': delete or move its repos first"
    }
}
