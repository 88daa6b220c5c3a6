import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import Primitives

/// `/admin/api/fallback-sources`: CRUD of database sources, the binding cache's stats and clear.
/// Admin tokens only; a source's token goes in but never comes back out.
extension FallbackController {
    func addAdminRoutes(to router: HubRouter) {
        let base = "/admin/api/fallback-sources"
        router.get("\(base)/cache/stats") { req, ctx in
            return json(try await self.admin(ctx.caller).cacheStats())
        }
        router.delete("\(base)/cache/clear") { req, ctx in
            try await self.admin(ctx.caller).clearCache()
            return json(FallbackCacheClearedJSON())
        }
        router.get("\(base)") { req, ctx in
            let service = try await self.admin(ctx.caller)
            let ns = req.uri.queryParameters["namespace"].map(String.init)
            return json(service.sources.filter { ns == nil || $0.namespace == ns }.map(Self.sourceJSON))
        }
        router.post("\(base)") { req, ctx in
            let service = try await self.admin(ctx.caller)
            let record = try await service.addSource(try await HubRequestBody.decode(FallbackSourceFields.self, req))
            return json(Self.recordJSON(record), status: .created)
        }
        router.get("\(base)/:id") { req, ctx in
            let service = try await self.admin(ctx.caller)
            guard let r = try await service.database.fallbackSource(id: ctx.parameters.get("id") ?? "") else {
                throw HubError(.notFound, code: .entryNotFound, "No fallback source with this id (sources from configuration cannot be edited here)")
            }
            return json(Self.recordJSON(r))
        }
        router.put("\(base)/:id") { req, ctx in
            let service = try await self.admin(ctx.caller)
            let body = try await HubRequestBody.decode(FallbackSourceFields.self, req)
            return json(Self.recordJSON(try await service.updateSource(id: ctx.parameters.get("id") ?? "", body)))
        }
        router.delete("\(base)/:id") { req, ctx in
            try await self.admin(ctx.caller).deleteSource(id: ctx.parameters.get("id") ?? "")
            return json(EmptyJSONObject())
        }
    }

    func admin(_ caller: Caller) async throws -> FallbackService {
        _ = try requireAdmin(caller)
        return try slot.required()
    }

    static func sourceJSON(_ s: FallbackSource) -> FallbackSourceJSON {
        FallbackSourceJSON(id: s.id, name: s.name, url: s.url, sourceType: s.sourceType.rawValue, priority: s.priority,
                           namespace: s.namespace, enabled: s.enabled, hasToken: s.token != nil, origin: s.origin)
    }

    static func recordJSON(_ r: FallbackSourceRecord) -> FallbackSourceRecordJSON {
        FallbackSourceRecordJSON(id: r.id, name: r.name, url: r.url, sourceType: r.sourceType, priority: r.priority,
                                 namespace: r.namespace, enabled: r.enabled, hasToken: r.sealedToken != nil,
                                 createdAt: HubServer.iso8601(r.createdAt))
    }
}

/// The operations on the sources, shared by the admin API above and the admin portal's forms (Sources/Hub/Web).
extension FallbackService {
    func cacheStats() async -> FallbackCacheStatsJSON {
        let s = await binder.stats()
        let total = s.hits + s.misses
        return FallbackCacheStatsJSON(size: s.size, maxsize: s.maxsize, ttl_seconds: s.ttlSeconds,
                                      usage_percent: Double(s.size) * 100 / Double(s.maxsize), hits: s.hits, misses: s.misses,
                                      hit_rate: total == 0 ? 0.0 : Double(s.hits) / Double(total))
    }

    func clearCache() async {
        await binder.clear()
        headCache.withLock { $0.removeAll() }
    }

    /// Stores a new database source from the API's JSON fields (`url`, `source_type`, `name`, `priority`, ...).
    func addSource(_ body: FallbackSourceFields) async throws -> FallbackSourceRecord {
        let source: FallbackSource
        do { source = try FallbackSource.parse(body, index: 0, origin: "database") } catch { throw HubError.badRequest("\(error)") }
        let record = FallbackSourceRecord(id: UUID().uuidString.lowercased(), name: body.name ?? source.url,
                                          url: source.url, sourceType: source.sourceType.rawValue, priority: Int64(source.priority),
                                          namespace: source.namespace, sealedToken: try source.token.map(cipher.seal),
                                          enabled: source.enabled, createdAt: FallbackService.now())
        try await database.putFallbackSource(record)
        try await reloadSources()
        return record
    }

    /// Changes the fields present in `body`; `token`: absent keeps it, "" or null removes it, a string replaces it.
    func updateSource(id: String, _ body: FallbackSourceFields) async throws -> FallbackSourceRecord {
        guard var r = try await database.fallbackSource(id: id) else {
            throw HubError(.notFound, code: .entryNotFound, "No fallback source with this id")
        }
        let stored = FallbackSourceFields(name: r.name, url: r.url, sourceType: r.sourceType, priority: Int(r.priority),
                                          namespace: r.namespace, enabled: r.enabled)
        let merged = body.overlaid(on: stored)
        let parsed: FallbackSource
        do { parsed = try FallbackSource.parse(merged, index: 0, origin: "database") } catch { throw HubError.badRequest("\(error)") }
        r.name = merged.name ?? r.name
        r.url = parsed.url; r.sourceType = parsed.sourceType.rawValue; r.priority = Int64(parsed.priority)
        r.namespace = parsed.namespace; r.enabled = parsed.enabled
        switch body.token {
        case .absent: break
        case .remove: r.sealedToken = nil
        case .set(let t): r.sealedToken = try cipher.seal(t)
        }
        try await database.putFallbackSource(r)
        try await reloadSources()
        return r
    }

    func deleteSource(id: String) async throws {
        do { try await database.deleteFallbackSource(id: id) } catch { throw HubError.from(error) }
        try await reloadSources()
    }
}
