import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import HTTPSupport

/// `/api/admin/...`: users, tokens, organisations and pins, for admin tokens only (an org's own admins may
/// also manage its members).
struct AdminController: Sendable {
    let database: HubDatabase

    /// `router`: the Bearer-authenticated API group.
    func addRoutes(to router: HubRouter) {
        router.get("/api/admin/users") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            return json(try await self.database.users().map { AdminUserJSON(name: $0.name, isAdmin: $0.isAdmin, createdAt: HubServer.iso8601($0.createdAt)) })
        }
        router.post("/api/admin/users") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            let body = try await HubRequestBody.decode(CreateUserRequest.self, req)
            guard let name = body.name else { throw HubError.badRequest("'name' is required") }
            try validateRepoName(name, what: "user name")
            do {
                let u = try await self.database.createUser(name: name, isAdmin: body.admin ?? false)
                return json(AdminUserJSON(name: u.name, isAdmin: u.isAdmin))
            } catch { throw HubError.from(error) }
        }
        router.delete("/api/admin/users/:name") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            do { try await self.database.deleteUser(name: ctx.parameters.get("name") ?? "") } catch { throw HubError.from(error) }
            return json(EmptyJSONObject())
        }
        router.get("/api/admin/tokens") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            let user = req.uri.queryParameters["user"].map(String.init) ?? ""
            return json(try await self.database.tokens(userName: user).map {
                AdminTokenJSON(id: $0.id, user: $0.userName, displayName: $0.displayName, role: $0.canWrite ? "write" : "read")
            })
        }
        router.post("/api/admin/tokens") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            let body = try await HubRequestBody.decode(CreateTokenRequest.self, req)
            guard let user = body.user else { throw HubError.badRequest("'user' is required") }
            let (token, hash) = HubDatabase.newToken()
            do {
                let record = try await self.database.createToken(userName: user, displayName: body.displayName ?? "api",
                                                                 canWrite: body.write ?? false, tokenSHA256: hash)
                return json(NewTokenJSON(id: record.id, token: token, role: record.canWrite ? "write" : "read"))
            } catch { throw HubError.from(error) }
        }
        router.delete("/api/admin/tokens/:id") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            do { try await self.database.deleteToken(id: ctx.parameters.get("id") ?? "") } catch { throw HubError.from(error) }
            return json(EmptyJSONObject())
        }
        addOrgRoutes(to: router)
        router.post("/api/admin/pins") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            guard let cid = try await HubRequestBody.decode(PinRequest.self, req).cid, !cid.isEmpty else { throw HubError.badRequest("'cid' is required") }
            try await self.database.pin(cid: cid)
            return json(PinJSON(cid: cid))
        }
        router.delete("/api/admin/pins/:cid") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            try await self.database.unpin(cid: ctx.parameters.get("cid") ?? "")
            return json(EmptyJSONObject())
        }
    }
}

/// Hub admins only.
func requireAdmin(_ caller: Caller) throws -> Caller {
    guard caller.user != nil else { throw HubError(.unauthorized, code: .unauthorized, "The admin API needs an admin token") }
    guard caller.isAdmin else { throw HubError.forbidden("The admin API needs an admin token") }
    return caller
}

/// `/api/admin/orgs[/:name[/members[/:user]]]`.
extension AdminController {
    /// Hub admins, or admins of `org` through a write token: an org's admins run its membership themselves.
    func requireOrgAdmin(_ caller: Caller, org: String) throws {
        guard caller.user != nil else { throw HubError(.unauthorized, code: .unauthorized, "Managing '\(org)' needs an admin token") }
        guard caller.isAdmin || caller.canAdminister(namespace: org) else {
            throw HubError.forbidden(caller.refusal(.admin, org, "manage the members of '\(org)'"))
        }
    }

    func orgJSON(_ org: OrgRecord, members: [OrgMembershipRecord]) -> OrgJSON {
        OrgJSON(name: org.name, fullname: org.fullname, createdAt: HubServer.iso8601(org.createdAt), members: members.map(memberJSON))
    }

    func memberJSON(_ m: OrgMembershipRecord) -> OrgMemberJSON { OrgMemberJSON(user: m.userName, role: m.role.rawValue) }

    static func orgRole(_ value: Any?) throws -> OrgRole {
        guard let raw = value as? String else { return .read }
        guard let role = OrgRole(rawValue: raw) else {
            throw HubError.badRequest("Unknown role '\(raw)': use \(OrgRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return role
    }

    private func addOrgRoutes(to router: HubRouter) {
        router.get("/api/admin/orgs") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            var out: [OrgJSON] = []
            for org in try await self.database.orgs() {
                out.append(self.orgJSON(org, members: try await self.database.orgMembers(orgName: org.name)))
            }
            return json(out)
        }
        router.post("/api/admin/orgs") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            let body = try await HubRequestBody.decode(CreateOrgRequest.self, req)
            guard let name = body.name else { throw HubError.badRequest("'name' is required") }
            try validateRepoName(name, what: "organisation name")
            do {
                let org = try await self.database.createOrg(name: name, fullname: body.fullname)
                return json(self.orgJSON(org, members: []))
            } catch { throw HubError.from(error) }
        }
        router.delete("/api/admin/orgs/:name") { req, ctx in
            _ = try requireAdmin(ctx.caller)
            do {
                try await self.database.deleteOrg(name: ctx.parameters.get("name") ?? "")
            } catch let error as OrgNotEmptyError {
                throw HubError(.conflict, code: .conflict, error.description)
            } catch { throw HubError.from(error) }
            return json(EmptyJSONObject())
        }
        router.get("/api/admin/orgs/:name/members") { req, ctx in
            let org = ctx.parameters.get("name") ?? ""
            try self.requireOrgAdmin(ctx.caller, org: org)
            do { return json(try await self.database.orgMembers(orgName: org).map(self.memberJSON)) } catch { throw HubError.from(error) }
        }
        // Adds a member, or changes the role of one already there.
        router.post("/api/admin/orgs/:name/members") { req, ctx in
            let org = ctx.parameters.get("name") ?? ""
            try self.requireOrgAdmin(ctx.caller, org: org)
            let body = try await HubRequestBody.decode(OrgMemberRequest.self, req)
            guard let user = body.user else { throw HubError.badRequest("'user' is required") }
            let role = try Self.orgRole(body.role)
            do {
                return json(self.memberJSON(try await self.database.setOrgMember(orgName: org, userName: user, role: role)))
            } catch { throw HubError.from(error) }
        }
        router.delete("/api/admin/orgs/:name/members/:user") { req, ctx in
            let org = ctx.parameters.get("name") ?? ""
            try self.requireOrgAdmin(ctx.caller, org: org)
            do {
                try await self.database.removeOrgMember(orgName: org, userName: ctx.parameters.get("user") ?? "")
            } catch { throw HubError.from(error) }
            return json(EmptyJSONObject())
        }
    }
}

extension AdminController {
    fileprivate func json(_ value: some Encodable) -> Response { JSONResponse.make(encodingOrEmpty: value) }
}
