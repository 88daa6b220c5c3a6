import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase

/// `/api/admin/...`: users, tokens and pins, for admin tokens only.
extension HubServer {
    func requireAdmin(_ request: Request) async throws -> Caller {
        let caller = try await caller(request)
        guard caller.user != nil else { throw HubError(.unauthorized, code: "Unauthorized", "The admin API needs an admin token") }
        guard caller.isAdmin else { throw HubError.forbidden("The admin API needs an admin token") }
        return caller
    }

    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/admin/users") { req, _ in
            _ = try await self.requireAdmin(req)
            return self.json(try await self.database.users().map { ["name": $0.name, "isAdmin": $0.isAdmin, "createdAt": Self.iso8601($0.createdAt)] })
        }
        router.post("/api/admin/users") { req, _ in
            _ = try await self.requireAdmin(req)
            let body = try await self.jsonBody(req)
            guard let name = body["name"] as? String else { throw HubError.badRequest("'name' is required") }
            try validateRepoName(name, what: "user name")
            do {
                let u = try await self.database.createUser(name: name, isAdmin: body["admin"] as? Bool ?? false)
                return self.json(["name": u.name, "isAdmin": u.isAdmin])
            } catch { throw HubError.from(error) }
        }
        router.delete("/api/admin/users/:name") { req, ctx in
            _ = try await self.requireAdmin(req)
            do { try await self.database.deleteUser(name: ctx.parameters.get("name") ?? "") } catch { throw HubError.from(error) }
            return self.json([String: Any]())
        }
        router.get("/api/admin/tokens") { req, _ in
            _ = try await self.requireAdmin(req)
            let user = req.uri.queryParameters["user"].map(String.init) ?? ""
            return self.json(try await self.database.tokens(userName: user).map {
                ["id": $0.id, "user": $0.userName, "displayName": $0.displayName, "role": $0.canWrite ? "write" : "read"]
            })
        }
        router.post("/api/admin/tokens") { req, _ in
            _ = try await self.requireAdmin(req)
            let body = try await self.jsonBody(req)
            guard let user = body["user"] as? String else { throw HubError.badRequest("'user' is required") }
            let (token, hash) = HubDatabase.newToken()
            do {
                let record = try await self.database.createToken(userName: user, displayName: body["displayName"] as? String ?? "api",
                                                                 canWrite: body["write"] as? Bool ?? false, tokenSHA256: hash)
                return self.json(["id": record.id, "token": token, "role": record.canWrite ? "write" : "read"])
            } catch { throw HubError.from(error) }
        }
        router.delete("/api/admin/tokens/:id") { req, ctx in
            _ = try await self.requireAdmin(req)
            do { try await self.database.deleteToken(id: ctx.parameters.get("id") ?? "") } catch { throw HubError.from(error) }
            return self.json([String: Any]())
        }
        router.post("/api/admin/pins") { req, _ in
            _ = try await self.requireAdmin(req)
            guard let cid = (try await self.jsonBody(req))["cid"] as? String, !cid.isEmpty else { throw HubError.badRequest("'cid' is required") }
            try await self.database.pin(cid: cid)
            return self.json(["cid": cid])
        }
        router.delete("/api/admin/pins/:cid") { req, ctx in
            _ = try await self.requireAdmin(req)
            try await self.database.unpin(cid: ctx.parameters.get("cid") ?? "")
            return self.json([String: Any]())
        }
    }
}
