import Foundation
import HTTPTypes
import HubDatabase
import Hummingbird
import HTTPSupport

/// The bodies of /v1/models, /models/load|unload, /status and the admin routes.
struct ModelEntryJSON: Encodable, Sendable {
    var id: String
    var object = "model"
    var created: Int
    var ownedBy = "ipfs-accelerate"
    var loaded: Bool
    /// Known once the model is loaded.
    var type: String?

    enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by", loaded, type }

    init(_ h: ModelHandle) {
        id = h.name
        created = Int(h.loadedAt.timeIntervalSince1970)
        loaded = true
        type = h.kind
    }

    init(available name: String, since: Date) {
        id = name
        created = Int(since.timeIntervalSince1970)
        loaded = false
    }
}

struct ModelListJSON: Encodable, Sendable {
    var object = "list"
    var data: [ModelEntryJSON]
}

struct LoadResultJSON: Encodable, Sendable {
    var status: String
    var modelID: String
    var type: String
    var hardware = "cpu"
    var memoryBytes: Int
    var loadSeconds: Double
    var warmupSeconds: Double
    var cid: OrNull<String>
    var path: String

    enum CodingKeys: String, CodingKey {
        case status, modelID = "model_id", type, hardware, memoryBytes = "memory_bytes", loadSeconds = "load_seconds",
             warmupSeconds = "warmup_seconds", cid, path
    }
}

/// `{"status": "unloaded", "model_id"}`.
struct StatusJSON: Encodable, Sendable {
    var status: String
    var modelID: String
    enum CodingKeys: String, CodingKey { case status, modelID = "model_id" }
}

struct QueueStatsJSON: Encodable, Sendable {
    var currentSize, maxSize, totalQueued, totalProcessed, totalTimeouts, totalRejected, totalCancelled: Int
    var utilization: Double
    var running: Int
    var byPriority: [String: Int]
    var mode: String
    var enabled: Bool
    var maxConcurrent: Int
    var timeoutSeconds: Double

    enum CodingKeys: String, CodingKey {
        case currentSize = "current_size", maxSize = "max_size", totalQueued = "total_queued", totalProcessed = "total_processed",
             totalTimeouts = "total_timeouts", totalRejected = "total_rejected", totalCancelled = "total_cancelled",
             utilization, running, byPriority = "by_priority", mode, enabled, maxConcurrent = "max_concurrent",
             timeoutSeconds = "timeout_seconds"
    }
}

struct HardwareJSON: Encodable, Sendable {
    struct CPU: Encodable, Sendable { var model: String; var cores: Int; var simd: [String] }
    struct Devices: Encodable, Sendable { var devices: [String] }
    var cpu: CPU
    var cuda: Devices
    var rocm: Devices
    var mps: Bool
    var engine: [String]

    init(_ h: HardwareInfo) {
        cpu = CPU(model: h.cpuModel, cores: h.cores, simd: h.simd)
        cuda = Devices(devices: h.cudaDevices)
        rocm = Devices(devices: h.rocmDevices)
        mps = h.metal
        engine = HardwareInfo.engineBackends.sorted()
    }
}

struct ServerStatusJSON: Encodable, Sendable {
    struct LoadedModel: Encodable, Sendable {
        var id, type: String
        var memoryBytes: Int
        var memoryMB, loadSeconds, warmupSeconds: Double
        var cid: OrNull<String>
        var path, circuitBreaker: String
        enum CodingKeys: String, CodingKey {
            case id, type, memoryBytes = "memory_bytes", memoryMB = "memory_mb", loadSeconds = "load_seconds",
                 warmupSeconds = "warmup_seconds", cid, path, circuitBreaker = "circuit_breaker"
        }
    }
    struct Memory: Encodable, Sendable {
        var totalBytes: Int
        var usedMB: Double
        var limitMB: Int
        var processResidentBytes: Int
        enum CodingKeys: String, CodingKey {
            case totalBytes = "total_bytes", usedMB = "used_mb", limitMB = "limit_mb", processResidentBytes = "process_resident_bytes"
        }
    }
    struct ModelCache: Encodable, Sendable {
        var loads, hits, misses, evictions, failures, maxLoaded: Int
        var ipfsModelCache, ipfsModelStorage: Bool
        enum CodingKeys: String, CodingKey {
            case loads, hits, misses, evictions, failures, maxLoaded = "max_loaded", ipfsModelCache = "ipfs_model_cache",
                 ipfsModelStorage = "ipfs_model_storage"
        }
    }
    struct ResponseCacheStats: Encodable, Sendable {
        var enabled: Bool
        var entries, hits, misses: Int
        var ttlSeconds: Double
        enum CodingKeys: String, CodingKey { case enabled, entries, hits, misses, ttlSeconds = "ttl_seconds" }
    }
    struct Controls: Encodable, Sendable {
        var auth, requireAuth, rateLimiting, requestQueue, batching, caching, circuitBreaker, metrics: Bool
        enum CodingKeys: String, CodingKey {
            case auth, requireAuth = "require_auth", rateLimiting = "rate_limiting", requestQueue = "request_queue", batching,
                 caching, circuitBreaker = "circuit_breaker", metrics
        }
    }

    var status, version: String
    var modelsLoaded, modelsAvailable, hardwareAvailable: [String]
    var uptimeSeconds: Double
    var hardware: HardwareJSON
    var models: [LoadedModel]
    var memory: Memory
    var modelCache: ModelCache
    var responseCache: ResponseCacheStats
    var queue: QueueStatsJSON
    var circuitBreakers: [String: String]
    var controls: Controls

    enum CodingKeys: String, CodingKey {
        case status, version, modelsLoaded = "models_loaded", modelsAvailable = "models_available",
             hardwareAvailable = "hardware_available", uptimeSeconds = "uptime_seconds", hardware, models, memory,
             modelCache = "model_cache", responseCache = "response_cache", queue, circuitBreakers = "circuit_breakers", controls
    }
}

struct RevokedJSON: Encodable, Sendable {
    var keyID: String
    var revoked = true
    enum CodingKeys: String, CodingKey { case keyID = "key_id", revoked }
}

/// An API key as the admin routes show it: never its hash.
struct APIKeyJSON: Encodable, Sendable {
    var keyID, name: String
    /// nil: the server's default, shown as `null` in a listing.
    var rateLimit: OrNull<Int>
    var allowedModels: OrNull<[String]>
    var priority: String
    var createdAt: String
    var revoked: Bool
    var revokedAt: OrNull<String>
    /// Only in the answer that generated the key.
    var apiKey: String?

    enum CodingKeys: String, CodingKey {
        case keyID = "key_id", name, rateLimit = "rate_limit", allowedModels = "allowed_models", priority,
             createdAt = "created_at", revoked, revokedAt = "revoked_at", apiKey = "api_key"
    }

    init(_ r: APIKeyRecord) {
        let f = ISO8601DateFormatter()
        keyID = r.keyID
        name = r.name
        rateLimit = OrNull(r.rateLimit)
        allowedModels = OrNull(r.allowedModels)
        priority = r.priority ?? "NORMAL"
        createdAt = f.string(from: r.createdAt)
        revoked = r.isRevoked
        revokedAt = OrNull(r.revokedAt.map { f.string(from: $0) })
    }
}

extension ModelServer {
    /// An `Encodable` answer written as `JSON.encode` writes it.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        JSONResponse.make(data: JSON.encode(value), status: status)
    }
}
