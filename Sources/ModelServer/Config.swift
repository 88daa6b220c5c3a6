import Foundation

/// Every knob of the model server, read from the `HF_SERVER_*` environment (names from the
/// reference server; see docs/seed-reference.md). Each control can be switched off by its variable.
public struct ModelServerConfig: Sendable {
    public var enableAuth = false
    public var requireAuth = false
    public var adminAPIKey: String? = nil

    public var enableRateLimiting = false
    /// Requests per minute for a key without its own limit (and for anonymous callers).
    public var defaultRateLimit = 100

    public var enableRequestQueue = true
    public var maxQueueSize = 100
    public var queueTimeoutSeconds: Double = 30
    /// `global` (one queue) or `per_model`.
    public var queuePerModel = false
    /// Requests that may be executing (handed to a model) at once; the rest wait in the queue.
    public var maxConcurrentRequests = 8

    public var enableBatching = true
    public var batchWindowMilliseconds: Double = 2
    public var maxBatchSize = 8
    /// Sum of prompt + max new tokens a generation batch may hold.
    public var batchTokenBudget = 4096

    public var enableCaching = true
    public var cacheTTLSeconds: Double = 300
    public var cacheMaxEntries = 1000

    public var enableCircuitBreaker = true
    public var breakerFailureThreshold = 5
    public var breakerRecoverySeconds: Double = 60
    public var breakerSuccessThreshold = 2

    public var enableMetrics = true

    public var maxLoadedModels = 4
    /// 0: no memory bound.
    public var maxMemoryMB = 0
    public var preloadModels: [String] = []
    /// Folders models may be loaded from by path (HF_SERVER_MODEL_DIRS, `:`-separated), besides the
    /// data folder's `models` and the preloaded paths themselves.
    public var modelDirs: [String] = []
    public var enableWarmup = true
    /// Default `max_tokens` for chat completions when the caller gives none.
    public var defaultMaxTokens = 256

    /// A model loaded from a folder is also stored by CID (ENABLE_IPFS_MODEL_STORAGE).
    public var enableIPFSModelStorage = false
    /// The loaded-model cache keeps and reloads models by CID (ENABLE_IPFS_MODEL_CACHE).
    public var enableIPFSModelCache = false

    public init() {}

    /// Reads the environment; a malformed value is an error naming the variable.
    public static func fromEnvironment(_ env: [String: String]) throws -> ModelServerConfig {
        var c = ModelServerConfig()
        let r = EnvReader(env: env)
        c.enableAuth = try r.bool("HF_SERVER_ENABLE_AUTH", c.enableAuth)
        c.requireAuth = try r.bool("HF_SERVER_REQUIRE_AUTH", c.requireAuth)
        if let admin = env["HF_SERVER_ADMIN_API_KEY"], !admin.isEmpty { c.adminAPIKey = admin }
        c.enableRateLimiting = try r.bool("HF_SERVER_ENABLE_RATE_LIMITING", c.enableRateLimiting)
        c.defaultRateLimit = try r.int("HF_SERVER_DEFAULT_RATE_LIMIT", c.defaultRateLimit, min: 1)
        c.enableRequestQueue = try r.bool("HF_SERVER_ENABLE_REQUEST_QUEUE", c.enableRequestQueue)
        c.maxQueueSize = try r.int("HF_SERVER_MAX_QUEUE_SIZE", c.maxQueueSize, min: 0)
        c.queueTimeoutSeconds = try r.double("HF_SERVER_QUEUE_TIMEOUT_SECONDS", c.queueTimeoutSeconds, min: 0.001)
        if let mode = env["HF_SERVER_QUEUE_MODE"] {
            switch mode.lowercased() {
            case "global": c.queuePerModel = false
            case "per_model", "per-model", "model": c.queuePerModel = true
            default: throw ConfigError("HF_SERVER_QUEUE_MODE must be 'global' or 'per_model', got '\(mode)'")
            }
        }
        c.maxConcurrentRequests = try r.int("HF_SERVER_MAX_CONCURRENT_REQUESTS", c.maxConcurrentRequests, min: 1)
        c.enableBatching = try r.bool("HF_SERVER_ENABLE_BATCHING", c.enableBatching)
        c.batchWindowMilliseconds = try r.double("HF_SERVER_BATCH_WINDOW_MS", c.batchWindowMilliseconds, min: 0)
        c.maxBatchSize = try r.int("HF_SERVER_MAX_BATCH_SIZE", c.maxBatchSize, min: 1)
        c.batchTokenBudget = try r.int("HF_SERVER_BATCH_TOKEN_BUDGET", c.batchTokenBudget, min: 1)
        c.enableCaching = try r.bool("HF_SERVER_ENABLE_CACHING", c.enableCaching)
        c.cacheTTLSeconds = try r.double("HF_SERVER_CACHE_TTL_SECONDS", c.cacheTTLSeconds, min: 0)
        c.cacheMaxEntries = try r.int("HF_SERVER_CACHE_MAX_ENTRIES", c.cacheMaxEntries, min: 1)
        c.enableCircuitBreaker = try r.bool("HF_SERVER_ENABLE_CIRCUIT_BREAKER", c.enableCircuitBreaker)
        c.breakerFailureThreshold = try r.int("HF_SERVER_CIRCUIT_BREAKER_FAILURES", c.breakerFailureThreshold, min: 1)
        c.breakerRecoverySeconds = try r.double("HF_SERVER_CIRCUIT_BREAKER_TIMEOUT_SECONDS", c.breakerRecoverySeconds, min: 0)
        c.breakerSuccessThreshold = try r.int("HF_SERVER_CIRCUIT_BREAKER_SUCCESSES", c.breakerSuccessThreshold, min: 1)
        c.enableMetrics = try r.bool("HF_SERVER_ENABLE_METRICS", c.enableMetrics)
        c.maxLoadedModels = try r.int("HF_SERVER_MAX_LOADED_MODELS", c.maxLoadedModels, min: 1)
        c.maxMemoryMB = try r.int("HF_SERVER_MAX_MEMORY_MB", c.maxMemoryMB, min: 0)
        if let list = env["HF_SERVER_PRELOAD_MODELS"] {
            c.preloadModels = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let dirs = env["HF_SERVER_MODEL_DIRS"] {
            c.modelDirs = dirs.split(separator: ":").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let relative = c.modelDirs.first(where: { !$0.hasPrefix("/") }) {
                throw ConfigError("HF_SERVER_MODEL_DIRS entries must be absolute paths, got '\(relative)'")
            }
        }
        c.enableWarmup = try r.bool("HF_SERVER_ENABLE_WARMUP", c.enableWarmup)
        c.defaultMaxTokens = try r.int("HF_SERVER_DEFAULT_MAX_TOKENS", c.defaultMaxTokens, min: 1)
        c.enableIPFSModelStorage = try r.bool("ENABLE_IPFS_MODEL_STORAGE", c.enableIPFSModelStorage)
        c.enableIPFSModelCache = try r.bool("ENABLE_IPFS_MODEL_CACHE", c.enableIPFSModelCache)
        return c
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = message }
}

private struct EnvReader {
    let env: [String: String]

    func bool(_ name: String, _ fallback: Bool) throws -> Bool {
        guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return fallback }
        switch v.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError("\(name) must be true or false, got '\(v)'")
        }
    }

    func int(_ name: String, _ fallback: Int, min: Int) throws -> Int {
        guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return fallback }
        guard let n = Int(v), n >= min else { throw ConfigError("\(name) must be an integer >= \(min), got '\(v)'") }
        return n
    }

    func double(_ name: String, _ fallback: Double, min: Double) throws -> Double {
        guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return fallback }
        guard let n = Double(v), n >= min, n.isFinite else { throw ConfigError("\(name) must be a number >= \(min), got '\(v)'") }
        return n
    }
}
