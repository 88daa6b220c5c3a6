import Foundation
import HubDatabase
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OrgDatabaseTests {
    @Test("Orgs and users share one name space; members are added, re-roled and removed", arguments: Backend.available)
    func orgsAndMembers(backend: Backend) async throws {
        let db = try await backend.open()
        let user = unique("member"), other = unique("other"), orgName = unique("org")
        _ = try await db.createUser(name: user, isAdmin: false)
        _ = try await db.createUser(name: other, isAdmin: false)
        let org = try await db.createOrg(name: orgName, fullname: "An Org")
        #expect(org.fullname == "An Org")
        #expect(try await db.createOrg(name: unique("plain")).fullname.hasPrefix("plain-"))
        // Names collide both ways.
        await #expect(throws: HubDatabaseError.alreadyExists("a user named '\(user)'")) { try await db.createOrg(name: user) }
        await #expect(throws: HubDatabaseError.alreadyExists("an organisation named '\(orgName)'")) {
            try await db.createUser(name: orgName, isAdmin: false)
        }
        await #expect(throws: HubDatabaseError.alreadyExists("organisation '\(orgName)'")) { try await db.createOrg(name: orgName) }
        #expect(try await db.user(named: orgName) == nil)

        try await db.setOrgMember(orgName: orgName, userName: user, role: .read)
        try await db.setOrgMember(orgName: orgName, userName: other, role: .admin)
        try await db.setOrgMember(orgName: orgName, userName: user, role: .write)  // changes the role, no duplicate
        #expect(try await db.orgMembers(orgName: orgName).map { "\($0.userName):\($0.role.rawValue)" }.sorted()
                == ["\(other):admin", "\(user):write"].sorted())
        let mine = try await db.orgMemberships(userName: user)
        #expect(mine.map(\.org.name) == [orgName] && mine.map(\.role) == [.write])
        await #expect(throws: HubDatabaseError.notFound("user 'ghost'")) { try await db.setOrgMember(orgName: orgName, userName: "ghost", role: .read) }
        await #expect(throws: HubDatabaseError.notFound("organisation 'ghost'")) { try await db.setOrgMember(orgName: "ghost", userName: user, role: .read) }

        try await db.removeOrgMember(orgName: orgName, userName: user)
        #expect(try await db.orgMemberships(userName: user).isEmpty)
        await #expect(throws: HubDatabaseError.self) { try await db.removeOrgMember(orgName: orgName, userName: user) }
        // Deleting a user takes their memberships along, so a later user of that name inherits nothing.
        try await db.deleteUser(name: other)
        _ = try await db.createUser(name: other, isAdmin: false)
        #expect(try await db.orgMemberships(userName: other).isEmpty)
        await db.close()
    }

    @Test("An org that owns repos cannot be deleted; an empty one can, with its memberships", arguments: Backend.available)
    func deleteOrg(backend: Backend) async throws {
        let db = try await backend.open()
        let orgName = unique("org"), user = unique("u")
        _ = try await db.createOrg(name: orgName)
        _ = try await db.createUser(name: user, isAdmin: false)
        try await db.setOrgMember(orgName: orgName, userName: user, role: .admin)
        let repo = try await db.createRepo(type: .dataset, namespace: orgName, name: "d", isPrivate: true, initialCommit: newCommit(unique("r"), "i"))
        await #expect(throws: OrgNotEmptyError(org: orgName, repo: "\(orgName)/d", type: "dataset")) { try await db.deleteOrg(name: orgName) }
        // Members see the org's private repos when listing; others do not.
        let asMember = try await db.listRepos(type: .dataset, author: orgName, search: nil, limit: 10, offset: 0,
                                              viewerNamespaces: [user] + (try await db.orgMemberships(userName: user)).map(\.org.name), allPrivate: false)
        #expect(asMember.map(\.name) == ["d"])
        #expect(try await db.listRepos(type: .dataset, author: orgName, search: nil, limit: 10, offset: 0,
                                       viewerNamespaces: [unique("x")], allPrivate: false).isEmpty)
        try await db.deleteRepo(id: repo.id)
        try await db.deleteOrg(name: orgName)
        #expect(try await db.org(named: orgName) == nil)
        #expect(try await db.orgMemberships(userName: user).isEmpty)
        await #expect(throws: HubDatabaseError.notFound("organisation '\(orgName)'")) { try await db.deleteOrg(name: orgName) }
        await db.close()
    }

    @Test("Roles are ordered read < write < admin")
    func roleOrder() {
        #expect(OrgRole.read < .write && OrgRole.write < .admin)
        #expect(OrgRole.allCases.max() == .admin)
    }
}

/// The org rules through HTTP: the admin API, whoami, and who may read, write and delete in an org's namespace.
@Suite struct OrgRouterTests {
    struct People {
        var root = "", writer = "", reader = "", orgAdmin = "", outsider = "", writerReadToken = ""
    }

    /// alice (from the fixture) stays an outsider; root is a hub admin.
    static func people(_ hub: HubFixture) async throws -> People {
        func user(_ name: String, admin: Bool = false, write: Bool = true) async throws -> String {
            if try await hub.database.user(named: name) == nil { _ = try await hub.database.createUser(name: name, isAdmin: admin) }
            let (token, hash) = HubDatabase.newToken()
            _ = try await hub.database.createToken(userName: name, displayName: "t", canWrite: write, tokenSHA256: hash)
            return token
        }
        var p = People()
        p.root = try await user("root", admin: true)
        p.writer = try await user("wendy")
        p.writerReadToken = try await user("wendy", write: false)
        p.reader = try await user("rita")
        p.orgAdmin = try await user("oscar")
        p.outsider = hub.token
        return p
    }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    func object(_ body: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    @Test("Admin API manages orgs; members get per-role access; everyone else gets today's answers")
    func orgPermissions() async throws {
        let hub = try await HubFixture.make()
        let p = try await Self.people(hub)
        try await hub.app().test(.router) { client in
            // Only hub admins create orgs; names collide with users.
            try await client.execute(uri: "/api/admin/orgs", method: .post, headers: bearer(p.writer), body: ByteBuffer(string: #"{"name":"acme"}"#)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/admin/orgs", method: .post, headers: bearer(p.root), body: ByteBuffer(string: #"{"name":"alice"}"#)) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/api/admin/orgs", method: .post, headers: bearer(p.root), body: ByteBuffer(string: #"{"name":"a/b"}"#)) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/admin/orgs", method: .post, headers: bearer(p.root),
                                     body: ByteBuffer(string: #"{"name":"acme","fullname":"Acme Corp"}"#)) {
                #expect($0.status == .ok)
                #expect(self.object($0.body)["fullname"] as? String == "Acme Corp")
            }
            for (user, role) in [("wendy", "write"), ("rita", "read"), ("oscar", "admin")] {
                try await client.execute(uri: "/api/admin/orgs/acme/members", method: .post, headers: bearer(p.root),
                                         body: ByteBuffer(string: #"{"user":"\#(user)","role":"\#(role)"}"#)) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/api/admin/orgs/acme/members", method: .post, headers: bearer(p.root),
                                     body: ByteBuffer(string: #"{"user":"rita","role":"owner"}"#)) { #expect($0.status == .badRequest) }

            // whoami lists the org with the caller's role.
            try await client.execute(uri: "/api/whoami-v2", method: .get, headers: bearer(p.reader)) {
                let orgs = self.object($0.body)["orgs"] as? [[String: Any]] ?? []
                #expect(orgs.count == 1)
                #expect(orgs.first?["type"] as? String == "org" && orgs.first?["name"] as? String == "acme")
                #expect(orgs.first?["fullname"] as? String == "Acme Corp" && orgs.first?["roleInOrg"] as? String == "read")
            }

            // Writers create (private) repos and commit; readers and outsiders cannot create.
            let create = ByteBuffer(string: #"{"name":"secret","organization":"acme","visibility":"private"}"#)
            try await client.execute(uri: "/api/repos/create", method: .post, headers: bearer(p.reader), body: create) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/repos/create", method: .post, headers: bearer(p.outsider), body: create) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/repos/create", method: .post, headers: bearer(p.writerReadToken), body: create) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/repos/create", method: .post, headers: bearer(p.writer), body: create) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/repos/create", method: .post, headers: bearer(p.writer),
                                     body: ByteBuffer(string: #"{"name":"acme/open"}"#)) { #expect($0.status == .ok) }
            let commit = ndjson([#"{"key":"header","value":{"summary":"add"}}"#,
                                 #"{"key":"file","value":{"content":"aGkK","path":"a.txt","encoding":"base64"}}"#])
            try await client.execute(uri: "/api/models/acme/secret/commit/main", method: .post, headers: bearer(p.writer), body: commit) {
                #expect($0.status == .ok)
            }
            // A read member sees the private repo but may not write: 403 with the role in the message.
            try await client.execute(uri: "/api/models/acme/secret", method: .get, headers: bearer(p.reader)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/acme/secret/resolve/main/a.txt", method: .get, headers: bearer(p.reader)) {
                #expect($0.status == .ok && String(buffer: $0.body) == "hi\n")
            }
            try await client.execute(uri: "/api/models/acme/secret/commit/main", method: .post, headers: bearer(p.reader), body: commit) {
                #expect($0.status == .forbidden)
                #expect(header($0.headers, "X-Error-Message")?.contains("role") == true)
            }
            // Outsiders: 404 RepoNotFound on the private repo, 403 on writing the public one, as for any foreign namespace.
            try await client.execute(uri: "/api/models/acme/secret", method: .get, headers: bearer(p.outsider)) {
                #expect($0.status == .notFound && header($0.headers, "X-Error-Code") == "RepoNotFound")
            }
            try await client.execute(uri: "/api/models/acme/open/commit/main", method: .post, headers: bearer(p.outsider), body: commit) {
                #expect($0.status == .forbidden)
            }
            // Listing by author shows the private repo to members only.
            for (token, expected) in [(p.reader, ["acme/open", "acme/secret"]), (p.outsider, ["acme/open"])] {
                try await client.execute(uri: "/api/models?author=acme", method: .get, headers: bearer(token)) {
                    let list = (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [[String: Any]] ?? []
                    #expect(list.compactMap { $0["id"] as? String }.sorted() == expected)
                }
            }
            // Deleting and moving repos needs the org's admin role.
            let del = ByteBuffer(string: #"{"name":"open","organization":"acme"}"#)
            try await client.execute(uri: "/api/repos/delete", method: .delete, headers: bearer(p.writer), body: del) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/repos/move", method: .post, headers: bearer(p.writer),
                                     body: ByteBuffer(string: #"{"fromRepo":"acme/open","toRepo":"acme/moved"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/repos/move", method: .post, headers: bearer(p.orgAdmin),
                                     body: ByteBuffer(string: #"{"fromRepo":"acme/open","toRepo":"acme/moved"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/repos/delete", method: .delete, headers: bearer(p.orgAdmin),
                                     body: ByteBuffer(string: #"{"name":"moved","organization":"acme"}"#)) { #expect($0.status == .ok) }

            // Org admins manage members; writers do not. An org with repos is not deleted.
            try await client.execute(uri: "/api/admin/orgs/acme/members/rita", method: .delete, headers: bearer(p.writer)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/admin/orgs/acme/members/rita", method: .delete, headers: bearer(p.orgAdmin)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/models/acme/secret", method: .get, headers: bearer(p.reader)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/admin/orgs/acme/members", method: .get, headers: bearer(p.orgAdmin)) {
                let list = (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [[String: Any]] ?? []
                #expect(list.compactMap { $0["user"] as? String } == ["oscar", "wendy"])
            }
            try await client.execute(uri: "/api/admin/orgs/acme", method: .delete, headers: bearer(p.root)) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/api/admin/orgs", method: .get, headers: bearer(p.root)) {
                let list = (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [[String: Any]] ?? []
                #expect(list.compactMap { $0["name"] as? String } == ["acme"])
            }
            // A user may not take an org's name.
            try await client.execute(uri: "/api/admin/users", method: .post, headers: bearer(p.root), body: ByteBuffer(string: #"{"name":"acme"}"#)) {
                #expect($0.status == .conflict)
            }
        }
    }
}
