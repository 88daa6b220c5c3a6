import Foundation
import Hummingbird
import HTTPSupport
import Primitives

/// /v1/models, /models/load|unload, /status and the admin routes.
extension ModelServer {
    func listModels() async -> Response {
        let loaded = await registry.loaded()
        var seen = Set<String>()
        var data: [[String: Any]] = []
        for h in loaded where seen.insert(h.name).inserted {
            data.append(["id": h.name, "object": "model", "created": Int(h.loadedAt.timeIntervalSince1970),
                         "owned_by": "ipfs-accelerate", "loaded": true, "type": h.kind])
        }
        for name in await source.availableModels() + config.preloadModels where seen.insert(name).inserted {
            data.append(["id": name, "object": "model", "created": Int(startedAt.timeIntervalSince1970),
                         "owned_by": "ipfs-accelerate", "loaded": false])
        }
        return JSONResponse.make(["object": "list", "data": data])
    }

    func describeModel(_ id: String) async throws(APIError) -> Response {
        guard let h = await registry.loaded().first(where: { $0.name == id }) else {
            throw APIError.modelNotFound(id, "it is not loaded")
        }
        return JSONResponse.make(["id": h.name, "object": "model", "created": Int(h.loadedAt.timeIntervalSince1970),
                              "owned_by": "ipfs-accelerate", "loaded": true, "type": h.kind])
    }

    func loadModel(_ object: [String: Any]) async throws(APIError) -> Response {
        let p = Params(object: object)
        try p.only(["model_id", "hardware", "options"])
        let name = try p.requiredString("model_id")
        if let hw = try p.string("hardware")?.lowercased() {
            guard HardwareInfo.knownNames.contains(hw) else {
                throw APIError.invalid("Unknown hardware '\(hw)'; this machine has: \(hardware.available.joined(separator: ", ")).", param: "hardware")
            }
            guard hardware.available.contains(hw) || (hw == "metal" && hardware.metal) else {
                throw APIError.invalid("The hardware '\(hw)' is not present on this machine; available: \(hardware.available.joined(separator: ", ")).",
                                       param: "hardware", code: "hardware_unavailable")
            }
            guard HardwareInfo.engineBackends.contains(hw) else {
                throw APIError.invalid("'\(hw)' is present, but the inference engine runs models on: \(HardwareInfo.engineBackends.sorted().joined(separator: ", ")).",
                                       param: "hardware", code: "hardware_unsupported")
            }
        }
        if p.has("options") {
            guard let options = object["options"] as? [String: Any] else {
                throw APIError.invalid("'options' must be an object.", param: "options", code: "invalid_type")
            }
            if let key = options.keys.sorted().first { throw APIError.unknownParameter("options.\(key)") }
        }
        try checkBreaker(name)
        let wasLoaded = await registry.isLoaded(name)
        let h = try await model(name)
        if config.enableCircuitBreaker { breakers.recordSuccess(name) }
        return JSONResponse.make(["status": wasLoaded ? "already_loaded" : "loaded", "model_id": name, "type": h.kind,
                              "hardware": "cpu", "memory_bytes": h.memoryBytes, "load_seconds": h.loadSeconds,
                              "warmup_seconds": h.warmupSeconds, "cid": h.cid as Any? ?? NSNull(),
                              "path": h.location.path])
    }

    func unloadModel(_ object: [String: Any]) async throws(APIError) -> Response {
        let p = Params(object: object)
        try p.only(["model_id"])
        let name = try p.requiredString("model_id")
        guard await registry.unload(name) != nil else { throw APIError.modelNotFound(name, "it is not loaded") }
        return JSONResponse.make(["status": "unloaded", "model_id": name])
    }

    func statusResponse() async -> Response {
        let loaded = await registry.loaded()
        let stats = await registry.stats
        let total = loaded.reduce(0) { $0 + $1.memoryBytes }
        let q = queue.stats
        let c = cache.stats
        let models: [[String: Any]] = loaded.map { h in
            ["id": h.name, "type": h.kind, "memory_bytes": h.memoryBytes, "memory_mb": Double(h.memoryBytes) / 1_048_576,
             "load_seconds": h.loadSeconds, "warmup_seconds": h.warmupSeconds, "cid": h.cid as Any? ?? NSNull(),
             "path": h.location.path, "circuit_breaker": breakers.state(h.name).rawValue]
        }
        let available = await source.availableModels()
        let body: [String: Any] = [
            "status": notReadyReason == nil ? "ready" : "starting",
            "version": ModelServer.version,
            "models_loaded": loaded.map(\.name),
            "models_available": available,
            "hardware_available": hardware.available,
            "uptime_seconds": Date().timeIntervalSince(startedAt),
            "hardware": hardware.json,
            "models": models,
            "memory": ["total_bytes": total, "used_mb": Double(total) / 1_048_576, "limit_mb": config.maxMemoryMB,
                       "process_resident_bytes": processResidentBytes()] as [String: Any],
            "model_cache": ["loads": stats.loads, "hits": stats.hits, "misses": stats.misses, "evictions": stats.evictions,
                            "failures": stats.failures, "max_loaded": config.maxLoadedModels,
                            "ipfs_model_cache": config.enableIPFSModelCache, "ipfs_model_storage": config.enableIPFSModelStorage] as [String: Any],
            "response_cache": ["enabled": config.enableCaching, "entries": c.entries, "hits": c.hits, "misses": c.misses,
                               "ttl_seconds": config.cacheTTLSeconds] as [String: Any],
            "queue": queueStatsJSON(q),
            "circuit_breakers": breakers.states().mapValues(\.rawValue),
            "controls": ["auth": config.enableAuth, "require_auth": config.requireAuth, "rate_limiting": config.enableRateLimiting,
                         "request_queue": config.enableRequestQueue, "batching": config.enableBatching, "caching": config.enableCaching,
                         "circuit_breaker": config.enableCircuitBreaker, "metrics": config.enableMetrics],
        ]
        return JSONResponse.make(body)
    }

    func queueStatsJSON(_ q: RequestQueue.Stats) -> [String: Any] {
        ["current_size": q.currentSize, "max_size": q.maxSize, "total_queued": q.totalQueued, "total_processed": q.totalProcessed,
         "total_timeouts": q.totalTimeouts, "total_rejected": q.totalRejected, "total_cancelled": q.totalCancelled,
         "utilization": q.utilization, "running": q.running, "by_priority": q.byPriority,
         "mode": config.queuePerModel ? "per_model" : "global", "enabled": config.enableRequestQueue,
         "max_concurrent": config.maxConcurrentRequests, "timeout_seconds": config.queueTimeoutSeconds]
    }

    func queueStats() -> Response { JSONResponse.make(queueStatsJSON(queue.stats)) }

    func generateKey(_ request: Request) async throws(APIError) -> Response {
        guard let keys else { throw APIError.server("No key database is configured.", code: "no_key_store") }
        var request = request
        // JSON, a form body (as the reference's curl example sends) or the query string.
        var fields: [String: Any] = [:]
        for (k, v) in request.uri.queryParameters { fields[String(k)] = String(v) }
        let buffer = (try? await request.collectBody(upTo: 1 << 16)) ?? ByteBuffer()
        if buffer.readableBytes > 0 {
            if let o = try? JSON.object(from: buffer) {
                fields.merge(o) { _, b in b }
            } else {
                let text = String(buffer: buffer)
                for pair in text.split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                    if kv.count == 2 { fields[kv[0]] = kv[1] }
                }
            }
        }
        let p = Params(object: fields)
        try p.only(["name", "rate_limit", "allowed_models", "priority"])
        let name = (fields["name"] as? String) ?? "unnamed"
        var rate: Int? = nil
        if let r = fields["rate_limit"] {
            guard let n = (r as? NSNumber)?.intValue ?? (r as? String).flatMap({ Int($0) }), n > 0 else {
                throw APIError.invalid("'rate_limit' must be a positive integer (requests per minute).", param: "rate_limit")
            }
            rate = n
        }
        var allowed: [String]? = nil
        if let a = fields["allowed_models"] {
            if let list = a as? [String] { allowed = list } else if let s = a as? String {
                allowed = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else { throw APIError.invalid("'allowed_models' must be a list of model names.", param: "allowed_models") }
        }
        var priority: RequestPriority? = nil
        if let s = fields["priority"] as? String {
            guard let pr = RequestPriority(name: s) else { throw APIError.invalid("'priority' must be LOW, NORMAL, HIGH or CRITICAL.", param: "priority") }
            priority = pr
        }
        do {
            let (key, record) = try await keys.generate(name: name, rateLimit: rate, allowedModels: allowed, priority: priority)
            var body = record.publicJSON
            body["api_key"] = key
            body["rate_limit"] = record.rateLimit ?? config.defaultRateLimit
            return JSONResponse.make(body)
        } catch {
            throw APIError.server("The key could not be stored: \(error)", code: "key_store_failed")
        }
    }

    func listKeys() -> Response {
        JSONResponse.make(["keys": (keys?.list() ?? []).map(\.publicJSON)])
    }

    func revokeKey(_ id: String) async throws(APIError) -> Response {
        guard let keys else { throw APIError.server("No key database is configured.", code: "no_key_store") }
        let found: Bool
        do { found = try await keys.revoke(keyID: id) } catch { throw APIError.server("The key could not be revoked: \(error)", code: "key_store_failed") }
        guard found else {
            throw APIError(status: .notFound, message: "No API key with id '\(id)'.", type: "invalid_request_error", param: "key_id", code: "key_not_found")
        }
        return JSONResponse.make(["key_id": id, "revoked": true])
    }
}
