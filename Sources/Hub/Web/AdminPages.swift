import Foundation
import HTTPSupport
import Hummingbird
import HubDatabase
import NIOCore
import Primitives

/// The admin portal: fallback sources, users and organisations, model-server keys and status. Hub
/// admins only (the same `isAdmin` the admin API checks): a visitor not signed in is sent to sign in,
/// a signed-in non-admin gets 403. The forms call the operations the admin API runs.
extension WebController {
    func addAdminPageRoutes(to router: HubRouter) {
        adminGet(router, "/-/admin") { req, visit in try await self.adminOverview(req, visit) }
        adminGet(router, "/-/admin/sources") { req, visit in
            try await self.sourcesPage(req, visit, edit: req.uri.queryParameters["edit"].map(String.init))
        }
        adminGet(router, "/-/admin/users") { req, visit in try await self.usersPage(visit) }
        adminGet(router, "/-/admin/keys") { req, visit in try await self.keysPage(req, visit) }

        adminPost(router, "/-/admin/sources/save") { req, visit, form in
            let service = try self.fallback.required()
            var body = FallbackSourceFields(name: form["name"] ?? "", url: form["url"] ?? "",
                                            sourceType: form["source_type"] ?? "huggingface",
                                            namespace: (form["namespace"] ?? "").trimmingCharacters(in: .whitespaces),
                                            enabled: form["enabled"] != nil)
            if let p = form["priority"], !p.isEmpty {
                guard let n = Int(p) else { throw HubError.badRequest("Priority must be a whole number") }
                body.priority = n
            }
            let token = form["token"] ?? ""
            if let id = form["id"], !id.isEmpty {
                // Editing: an empty token field keeps the stored token unless "remove" is ticked.
                if !token.isEmpty { body.token = .set(token) } else if form["clear_token"] != nil { body.token = .remove }
                let r = try await service.updateSource(id: id, body)
                return try await self.sourcesPage(req, visit, notice: "Saved \(r.name)")
            }
            if !token.isEmpty { body.token = .set(token) }
            let r = try await service.addSource(body)
            return try await self.sourcesPage(req, visit, notice: "Added \(r.name) (\(r.url))")
        }
        adminPost(router, "/-/admin/sources/toggle") { req, visit, form in
            let service = try self.fallback.required()
            guard let r = try await service.database.fallbackSource(id: form["id"] ?? "") else {
                throw HubError(.notFound, code: .entryNotFound, "No fallback source with this id (sources from configuration cannot be changed here)")
            }
            let updated = try await service.updateSource(id: r.id, FallbackSourceFields(enabled: !r.enabled))
            return try await self.sourcesPage(req, visit, notice: "\(updated.name) is now \(updated.enabled ? "enabled" : "disabled")")
        }
        adminPost(router, "/-/admin/sources/delete") { req, visit, form in
            try await self.fallback.required().deleteSource(id: form["id"] ?? "")
            return try await self.sourcesPage(req, visit, notice: "Source deleted")
        }
        adminPost(router, "/-/admin/sources/test") { req, visit, form in
            let service = try self.fallback.required()
            guard let source = service.sources.first(where: { $0.id == form["id"] }) else {
                throw HubError(.notFound, code: .entryNotFound, "No fallback source with this id")
            }
            return try await self.sourcesPage(req, visit, test: .init(name: source.name, result: await Self.testSource(source, service)))
        }
        adminPost(router, "/-/admin/sources/cache/clear") { req, visit, _ in
            try await self.fallback.required().clearCache()
            return try await self.sourcesPage(req, visit, notice: "Binding cache cleared")
        }
        adminPost(router, "/-/admin/users") { _, visit, form in
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            try validateRepoName(name, what: "user name")
            do { _ = try await self.database.createUser(name: name, isAdmin: form["admin"] != nil) } catch { throw HubError.from(error) }
            return try await self.usersPage(visit, notice: "Added user \(name); give them a token with “New token” below")
        }
        // A token for any user, as `POST /api/admin/tokens` (and `ipfs-accelerate token create`) makes one.
        adminPost(router, "/-/admin/users/token") { _, visit, form in
            let user = form["user"] ?? ""
            let (token, hash) = HubDatabase.newToken()
            do {
                _ = try await self.database.createToken(userName: user, displayName: "admin portal", canWrite: form["write"] != nil, tokenSHA256: hash)
            } catch { throw HubError.from(error) }
            return try await self.usersPage(visit, notice: nil, newToken: .init(user: user, token: token))
        }
        adminPost(router, "/-/admin/orgs") { _, visit, form in
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            try validateRepoName(name, what: "organisation name")
            let fullname = form["fullname"].flatMap { $0.isEmpty ? nil : $0 }
            do { _ = try await self.database.createOrg(name: name, fullname: fullname) } catch { throw HubError.from(error) }
            return try await self.usersPage(visit, notice: "Added organisation \(name)")
        }
        adminPost(router, "/-/admin/orgs/member") { _, visit, form in
            let org = form["org"] ?? "", user = (form["user"] ?? "").trimmingCharacters(in: .whitespaces)
            let role = try AdminController.orgRole(form["role"])
            do { _ = try await self.database.setOrgMember(orgName: org, userName: user, role: role) } catch { throw HubError.from(error) }
            return try await self.usersPage(visit, notice: "\(user) is now \(role.rawValue) in \(org)")
        }
        adminPost(router, "/-/admin/orgs/member/remove") { _, visit, form in
            let org = form["org"] ?? "", user = form["user"] ?? ""
            do { try await self.database.removeOrgMember(orgName: org, userName: user) } catch { throw HubError.from(error) }
            return try await self.usersPage(visit, notice: "Removed \(user) from \(org)")
        }
        adminPost(router, "/-/admin/keys") { req, visit, form in
            let answer = try await self.modelServerAdmin(req, "POST", "/admin/keys/generate",
                                                         body: NewModelServerKeyRequest(name: form["name"] ?? "unnamed"), as: NewModelServerKeyReply.self)
            return try await self.keysPage(req, visit, newKey: answer.api_key)
        }
        adminPost(router, "/-/admin/keys/revoke") { req, visit, form in
            _ = try await self.modelServerAdmin(req, "POST", "/admin/keys/\(PercentEncoding.encode(form["id"] ?? ""))/revoke",
                                                as: JSONValue.self)
            return try await self.keysPage(req, visit, notice: "Key revoked")
        }
    }

    /// GET admin page: sign-in redirect or 403 before the handler runs.
    func adminGet(_ router: HubRouter, _ path: String,
                  _ handler: @escaping @Sendable (Request, WebVisit) async throws -> WebPage) {
        router.get(RouterPath(path)) { req, ctx in
            await self.page(req, ctx) { visit in
                if let refusal = try Self.adminRefusal(visit, req) { return refusal }
                return try await handler(req, visit)
            }
        }
    }

    /// POST admin form: the admin check, then the CSRF check; errors of the operation show on the page.
    func adminPost(_ router: HubRouter, _ path: String,
                   _ handler: @escaping @Sendable (Request, WebVisit, [String: String]) async throws -> WebPage) {
        router.post(RouterPath(path)) { req, ctx in
            await self.page(req, ctx) { visit in
                if let refusal = try Self.adminRefusal(visit, req) { return refusal }
                let form = try await self.verifiedForm(req, visit)
                do { return try await handler(req, visit, form) } catch let error as HubError where error.status.code < 500 {
                    // Shown on the page the form came from, so the admin can correct the input.
                    if path.hasPrefix("/-/admin/sources") { return try await self.sourcesPage(req, visit, error: error.message) }
                    if path.hasPrefix("/-/admin/keys") { return try await self.keysPage(req, visit, error: error.message) }
                    return try await self.usersPage(visit, error: error.message)
                }
            }
        }
    }

    static func adminRefusal(_ visit: WebVisit, _ request: Request) throws -> WebPage? {
        guard visit.caller.user != nil else { return signInRedirect(request.uri.path) }
        guard visit.caller.isAdmin else { throw HubError.forbidden("The admin portal is for hub admins only") }
        return nil
    }

    // MARK: pages

    func adminOverview(_ request: Request, _ visit: WebVisit) async throws -> WebPage {
        var data = AdminOverviewPage()
        do {
            let s = try await modelServerJSON(request, "GET", "/status", as: ModelServerStatusReply.self)
            let models = (s.models ?? []).map { m in
                AdminOverviewPage.Status.Model(id: m.id ?? "?", type: m.type ?? "", memory: Self.sizeText(m.memory_bytes ?? 0))
            }
            let queue = (s.queue ?? [:]).sorted { $0.key < $1.key }.compactMap { k, v in
                v.text.map { AdminOverviewPage.Status.Figure(key: k, value: $0) }
            }
            data.status = .init(state: s.status ?? "?", version: s.version ?? "?", uptime: String(format: "%.0f s", s.uptime_seconds ?? 0),
                                memory: Self.sizeText(s.memory?.total_bytes ?? 0), resident: Self.sizeText(s.memory?.process_resident_bytes ?? 0),
                                available: s.models_available?.count ?? 0, models: models, queue: queue)
        } catch {
            data.statusError = "\(error)"
        }
        return .html(title: "Admin", template: "admin", data: data)
    }

    func sourcesPage(_ request: Request, _ visit: WebVisit, edit: String? = nil, notice: String? = nil, error: String? = nil,
                     test: SourcesPage.Test? = nil) async throws -> WebPage {
        var data = SourcesPage(enabled: fallback.service != nil, test: test, notice: notice, error: error)
        if let service = fallback.service {
            data.sources = service.sources.map { s in
                SourcesPage.Source(id: s.id, name: s.name, url: s.url, type: s.sourceType.rawValue, priority: s.priority,
                                   namespace: s.namespace.isEmpty ? "all" : s.namespace, hasToken: s.token != nil, origin: s.origin,
                                   enabled: s.enabled, editable: s.origin == "database")
            }
            let st = await service.cacheStats()
            data.stats = .init(size: "\(st.size)", maxsize: "\(st.maxsize)", ttl: "\(st.ttl_seconds)", hits: "\(st.hits)", misses: "\(st.misses)")
            if let edit, let r = try await service.database.fallbackSource(id: edit) {
                data.edit = .init(id: r.id, name: r.name, url: r.url, priority: String(r.priority), namespace: r.namespace,
                                  isHF: r.sourceType == "huggingface", isHub: r.sourceType == "hub", hasToken: r.sealedToken != nil,
                                  enabled: r.enabled)
            }
        }
        return .html(title: "Fallback sources", template: "adminSources", data: data)
    }

    /// One metadata request to the source as the fallback would make it (its token, its timeout).
    static func testSource(_ source: FallbackSource, _ service: FallbackService) async -> String {
        let started = ContinuousClock.now
        let url = SourceURLs.list(source, .model) + "?limit=1"
        do {
            let reply = try await service.upstream.fetch(.GET, url, source: source)
            let d = ContinuousClock.now - started
            let ms = Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
            let ok = (200..<300).contains(reply.status)
            return "\(ok ? "reachable" : "answered with an error"): HTTP \(reply.status) in \(ms) ms from \(url)"
        } catch {
            return "unreachable: \(error)"
        }
    }

    func usersPage(_ visit: WebVisit, notice: String? = nil, error: String? = nil, newToken: UsersPage.NewToken? = nil) async throws -> WebPage {
        var users: [UsersPage.User] = []
        for u in try await database.users() {
            let orgs = try await database.orgMemberships(userName: u.name)
            users.append(.init(name: u.name, isAdmin: u.isAdmin, created: Self.dateText(u.createdAt),
                               tokenCount: try await database.tokens(userName: u.name).count,
                               orgs: orgs.map { "\($0.org.name) (\($0.role.rawValue))" }.joined(separator: ", ")))
        }
        var orgs: [UsersPage.Org] = []
        for o in try await database.orgs() {
            let members = try await database.orgMembers(orgName: o.name)
            orgs.append(.init(name: o.name, fullname: o.fullname == o.name ? "" : o.fullname,
                              members: members.map { .init(org: o.name, user: $0.userName, role: $0.role.rawValue) }))
        }
        return .html(title: "Users & organisations", template: "adminUsers",
                     data: UsersPage(users: users, orgs: orgs, newToken: newToken, notice: notice, error: error))
    }
}

extension JSONValue {
    /// A scalar as the admin overview prints it; nil for objects and arrays.
    fileprivate var text: String? {
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        case .array, .object: return nil
        }
    }
}
