import Foundation
import HubDatabase
import Hummingbird
import HTTPSupport
import NIOCore

/// /v1/models, /models/load|unload, /status and the admin routes.
extension ModelServer {
    func listModels() async -> Response {
        let loaded = await registry.loaded()
        var seen = Set<String>()
        var data: [ModelEntryJSON] = []
        for h in loaded where seen.insert(h.name).inserted { data.append(ModelEntryJSON(h)) }
        for name in await source.availableModels() + config.preloadModels where seen.insert(name).inserted {
            data.append(ModelEntryJSON(available: name, since: startedAt))
        }
        return Self.json(ModelListJSON(data: data))
    }

    func describeModel(_ id: String) async throws(APIError) -> Response {
        guard let h = await registry.loaded().first(where: { $0.name == id }) else {
            throw APIError.modelNotFound(id, "it is not loaded")
        }
        return Self.json(ModelEntryJSON(h))
    }

    func loadModel(_ body: ByteBuffer) async throws(APIError) -> Response {
        let keyed = try JSON.decode(Keyed<LoadModelBody>.self, from: Data(body.readableBytesView))
        let b = keyed.value
        try Fields.only(keyed.keys, ["model_id", "hardware", "options"])
        let name = try b.modelID.required("model_id")
        if let hw = try b.hardware.string("hardware")?.lowercased() {
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
        if let sent = b.options {
            guard case .value(let options) = sent else {
                throw APIError.invalid("'options' must be an object.", param: "options", code: "invalid_type")
            }
            if let key = options.keys.sorted().first { throw APIError.unknownParameter("options.\(key)") }
        }
        try checkBreaker(name)
        let wasLoaded = await registry.isLoaded(name)
        let h = try await model(name)
        if config.enableCircuitBreaker { breakers.recordSuccess(name) }
        return Self.json(LoadResultJSON(status: wasLoaded ? "already_loaded" : "loaded", modelID: name, type: h.kind,
                                        memoryBytes: h.memoryBytes, loadSeconds: h.loadSeconds, warmupSeconds: h.warmupSeconds,
                                        cid: OrNull(h.cid), path: h.location.path))
    }

    func unloadModel(_ body: ByteBuffer) async throws(APIError) -> Response {
        let keyed = try JSON.decode(Keyed<LoadModelBody>.self, from: Data(body.readableBytesView))
        try Fields.only(keyed.keys, ["model_id"])
        let name = try keyed.value.modelID.required("model_id")
        guard await registry.unload(name) != nil else { throw APIError.modelNotFound(name, "it is not loaded") }
        return Self.json(StatusJSON(status: "unloaded", modelID: name))
    }

    func statusResponse() async -> Response {
        let loaded = await registry.loaded()
        let stats = await registry.stats
        let total = loaded.reduce(0) { $0 + $1.memoryBytes }
        let q = queue.stats
        let c = cache.stats
        let models = loaded.map { h in
            ServerStatusJSON.LoadedModel(id: h.name, type: h.kind, memoryBytes: h.memoryBytes, memoryMB: Double(h.memoryBytes) / 1_048_576,
                                         loadSeconds: h.loadSeconds, warmupSeconds: h.warmupSeconds, cid: OrNull(h.cid),
                                         path: h.location.path, circuitBreaker: breakers.state(h.name).rawValue)
        }
        let available = await source.availableModels()
        let body = ServerStatusJSON(
            status: notReadyReason == nil ? "ready" : "starting",
            version: ModelServer.version,
            modelsLoaded: loaded.map(\.name),
            modelsAvailable: available,
            hardwareAvailable: hardware.available,
            uptimeSeconds: Date().timeIntervalSince(startedAt),
            hardware: HardwareJSON(hardware),
            models: models,
            memory: .init(totalBytes: total, usedMB: Double(total) / 1_048_576, limitMB: config.maxMemoryMB,
                          processResidentBytes: processResidentBytes()),
            modelCache: .init(loads: stats.loads, hits: stats.hits, misses: stats.misses, evictions: stats.evictions,
                              failures: stats.failures, maxLoaded: config.maxLoadedModels,
                              ipfsModelCache: config.enableIPFSModelCache, ipfsModelStorage: config.enableIPFSModelStorage),
            responseCache: .init(enabled: config.enableCaching, entries: c.entries, hits: c.hits, misses: c.misses,
                                 ttlSeconds: config.cacheTTLSeconds),
            queue: queueStatsJSON(q),
            circuitBreakers: breakers.states().mapValues(\.rawValue),
            controls: .init(auth: config.enableAuth, requireAuth: config.requireAuth, rateLimiting: config.enableRateLimiting,
                            requestQueue: config.enableRequestQueue, batching: config.enableBatching, caching: config.enableCaching,
                            circuitBreaker: config.enableCircuitBreaker, metrics: config.enableMetrics))
        return Self.json(body)
    }

    func queueStatsJSON(_ q: RequestQueue.Stats) -> QueueStatsJSON {
        QueueStatsJSON(currentSize: q.currentSize, maxSize: q.maxSize, totalQueued: q.totalQueued, totalProcessed: q.totalProcessed,
                       totalTimeouts: q.totalTimeouts, totalRejected: q.totalRejected, totalCancelled: q.totalCancelled,
                       utilization: q.utilization, running: q.running, byPriority: q.byPriority,
                       mode: config.queuePerModel ? "per_model" : "global", enabled: config.enableRequestQueue,
                       maxConcurrent: config.maxConcurrentRequests, timeoutSeconds: config.queueTimeoutSeconds)
    }

    func queueStats() -> Response { Self.json(queueStatsJSON(queue.stats)) }

    func generateKey(_ request: Request) async throws(APIError) -> Response {
        guard let keys else { throw APIError.server("No key database is configured.", code: "no_key_store") }
        var request = request
        // JSON, a form body (as the reference's curl example sends) or the query string.
        // Values from three sources, so kept as JSON (query and form values are strings).
        var fields: [String: JSONValue] = [:]
        for (k, v) in request.uri.queryParameters { fields[String(k)] = .string(String(v)) }
        let buffer = (try? await request.collectBody(upTo: 1 << 16)) ?? ByteBuffer()
        if buffer.readableBytes > 0 {
            if let o = try? JSON.object(from: buffer) {
                fields.merge(o) { _, b in b }
            } else {
                let text = String(buffer: buffer)
                for pair in text.split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                    if kv.count == 2 { fields[kv[0]] = .string(kv[1]) }
                }
            }
        }
        try Fields.only(Array(fields.keys), ["name", "rate_limit", "allowed_models", "priority"])
        let name = fields["name"]?.string ?? "unnamed"
        var rate: Int? = nil
        if let r = fields["rate_limit"] {
            guard let n = r.number.flatMap({ Int(exactly: $0.rounded(.towardZero)) }) ?? r.string.flatMap({ Int($0) }), n > 0 else {
                throw APIError.invalid("'rate_limit' must be a positive integer (requests per minute).", param: "rate_limit")
            }
            rate = n
        }
        var allowed: [String]? = nil
        if let a = fields["allowed_models"] {
            if let list = a.array, list.allSatisfy({ $0.string != nil }) { allowed = list.compactMap(\.string) } else if let s = a.string {
                allowed = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else { throw APIError.invalid("'allowed_models' must be a list of model names.", param: "allowed_models") }
        }
        var priority: RequestPriority? = nil
        if let s = fields["priority"]?.string {
            guard let pr = RequestPriority(name: s) else { throw APIError.invalid("'priority' must be LOW, NORMAL, HIGH or CRITICAL.", param: "priority") }
            priority = pr
        }
        do {
            let (key, record) = try await keys.generate(name: name, rateLimit: rate, allowedModels: allowed, priority: priority)
            var body = APIKeyJSON(record)
            body.apiKey = key
            body.rateLimit = OrNull(record.rateLimit ?? config.defaultRateLimit)
            return Self.json(body)
        } catch {
            throw APIError.server("The key could not be stored: \(error)", code: "key_store_failed")
        }
    }

    func listKeys() async throws(APIError) -> Response {
        guard let keys else { return Self.json(["keys": [APIKeyJSON]()]) }
        let list: [APIKeyRecord]
        do { list = try await keys.list() } catch { throw APIError.server("The keys could not be read: \(error)", code: "key_store_failed") }
        return Self.json(["keys": list.map(APIKeyJSON.init)])
    }

    func revokeKey(_ id: String) async throws(APIError) -> Response {
        guard let keys else { throw APIError.server("No key database is configured.", code: "no_key_store") }
        let found: Bool
        do { found = try await keys.revoke(keyID: id) } catch { throw APIError.server("The key could not be revoked: \(error)", code: "key_store_failed") }
        guard found else {
            throw APIError(status: .notFound, message: "No API key with id '\(id)'.", type: "invalid_request_error", param: "key_id", code: "key_not_found")
        }
        return Self.json(RevokedJSON(keyID: id))
    }
}
