import Foundation
import Inference
import Logging

/// The model server: models, controls and their state. `ModelServerRoutes` puts it on HTTP.
public final class ModelServer: Sendable {
    public static let version = "0.1.0"

    public let config: ModelServerConfig
    public let hardware: HardwareInfo
    public let keys: KeyStore?
    public let metrics: ServerMetrics
    public let rateLimiter: any RateLimiting
    public let queue: RequestQueue
    public let breakers: CircuitBreakers
    public let cache: ResponseCache
    let registry: ModelRegistry
    let source: ModelSource
    let logger: Logger
    let startedAt = Date()
    private let readiness = Locked(Readiness())

    struct Readiness {
        var pending: Set<String> = []
        var failed: [String: String] = [:]
        var started = false
    }

    /// - Parameters:
    ///   - keysDatabase: the SQLite file holding API keys (the data directory's `hub.sqlite`); nil keeps no keys.
    ///   - clock: the time the rate limiter, circuit breakers and response cache count in (tests move it by hand).
    public convenience init(config: ModelServerConfig, source: ModelSource, keysDatabase: String?,
                            hardware: HardwareInfo = .detect(), metrics: ServerMetrics = ServerMetrics(),
                            logger: Logger = Logger(label: "ipfs-accelerate.modelserver"),
                            clock: @escaping MonotonicClock = systemMonotonicClock) throws {
        self.init(config: config, source: source, keys: try keysDatabase.map { try KeyStore(path: $0) },
                  hardware: hardware, metrics: metrics, logger: logger, clock: clock)
    }

    /// - Parameters:
    ///   - keys: the API keys (`serve` passes a store over the hub's own database, SQLite or PostgreSQL); nil keeps no keys.
    ///   - rateLimiter: where the buckets live; nil: this process's memory, counting in `clock`.
    public init(config: ModelServerConfig, source: ModelSource, keys: KeyStore?,
                hardware: HardwareInfo = .detect(), metrics: ServerMetrics = ServerMetrics(),
                rateLimiter: (any RateLimiting)? = nil,
                logger: Logger = Logger(label: "ipfs-accelerate.modelserver"),
                clock: @escaping MonotonicClock = systemMonotonicClock) {
        self.config = config
        self.hardware = hardware
        self.logger = logger
        self.source = source
        self.keys = keys
        self.metrics = metrics
        self.rateLimiter = rateLimiter ?? RateLimiter(clock: clock)
        queue = RequestQueue(enabled: config.enableRequestQueue, maxSize: config.maxQueueSize,
                             maxConcurrent: config.maxConcurrentRequests, timeoutSeconds: config.queueTimeoutSeconds,
                             perModel: config.queuePerModel)
        breakers = CircuitBreakers(failureThreshold: config.breakerFailureThreshold,
                                   recoverySeconds: config.breakerRecoverySeconds, successThreshold: config.breakerSuccessThreshold,
                                   clock: clock)
        cache = ResponseCache(ttlSeconds: config.cacheTTLSeconds, maxEntries: config.cacheMaxEntries, clock: clock)
        let batching = config.enableBatching
            ? BatchingOptions(windowSeconds: config.batchWindowMilliseconds / 1000, maxBatchSize: config.maxBatchSize,
                              tokenBudget: config.batchTokenBudget)
            : .off
        registry = ModelRegistry(
            source: source, maxLoaded: config.maxLoadedModels, maxMemoryBytes: config.maxMemoryMB * 1_048_576,
            warmup: config.enableWarmup, storeByCID: config.enableIPFSModelStorage || config.enableIPFSModelCache,
            batching: batching,
            observeBatch: { kind, size in metrics.observe("hf_server_batch_size", ["kind": kind], Double(size)) },
            onLoaded: { h in
                metrics.seconds("hf_server_model_load_duration_seconds", ["model": h.name], h.loadSeconds)
                metrics.seconds("hf_server_model_warmup_duration_seconds", ["model": h.name], h.warmupSeconds)
                metrics.gauge("hf_server_model_memory_bytes", ["model": h.name], Double(h.memoryBytes))
                metrics.count("hf_server_model_loads_total", ["model": h.name])
            },
            onEvicted: { h in
                metrics.gauge("hf_server_model_memory_bytes", ["model": h.name], 0)
                metrics.count("hf_server_model_evictions_total", ["model": h.name])
            })
        metrics.gauge("hf_server_memory_limit_mb", Double(config.maxMemoryMB))
        for hw in hardware.available {
            metrics.gauge("hf_server_hardware_utilization", ["hardware": hw, "device": "0"], 0)
        }
    }

    /// Loads `HF_SERVER_PRELOAD_MODELS` concurrently; `/ready` answers 503 until all are in.
    public func startPreloading() {
        let names = config.preloadModels
        readiness.withLock { $0.pending = Set(names); $0.started = true }
        guard !names.isEmpty else { return }
        Task {
            await withTaskGroup(of: Void.self) { group in
                for name in names {
                    group.addTask {
                        do {
                            _ = try await self.model(name)
                            self.logger.info("preloaded model", metadata: ["model": "\(name)"])
                            self.readiness.withLock { _ = $0.pending.remove(name) }
                        } catch {
                            self.logger.error("preloading failed", metadata: ["model": "\(name)", "error": "\(error)"])
                            self.readiness.withLock { $0.pending.remove(name); $0.failed[name] = "\(error)" }
                        }
                    }
                }
            }
        }
    }

    public var isReady: Bool { notReadyReason == nil }

    /// nil when ready; otherwise why not.
    var notReadyReason: String? {
        readiness.withLock { r in
            if !r.started { return "starting" }
            if !r.pending.isEmpty { return "loading models: \(r.pending.sorted().joined(separator: ", "))" }
            if !r.failed.isEmpty { return "preloading failed: " + r.failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ") }
            return nil
        }
    }

    /// The loaded model `name` (loading it on first use), with breaker bookkeeping for load failures.
    func model(_ name: String) async throws(APIError) -> ModelHandle {
        do {
            let (handle, wasLoaded) = try await registry.get(name)
            metrics.count(wasLoaded ? "hf_server_cache_hits_total" : "hf_server_cache_misses_total", ["cache_type": "model"])
            return handle
        } catch let e as ModelServerError {
            switch e {
            case .modelNotFound(let why):
                throw APIError.modelNotFound(name, why)
            case .pathNotAllowed(let why):
                throw APIError.invalid(why, param: "model", code: "model_path_not_allowed")
            case .loadFailed, .engine:
                if config.enableCircuitBreaker { breakers.recordFailure(name) }
                metrics.count("hf_server_errors_total", ["model": name, "error_type": "load_failed"])
                throw APIError.server("The model '\(name)' could not be loaded: \(e)", code: "model_load_failed")
            }
        } catch {
            if config.enableCircuitBreaker { breakers.recordFailure(name) }
            metrics.count("hf_server_errors_total", ["model": name, "error_type": "load_failed"])
            throw APIError.server("The model '\(name)' could not be loaded: \(error)", code: "model_load_failed")
        }
    }

    /// 503 at once when the model's breaker is open.
    func checkBreaker(_ model: String) throws(APIError) {
        guard config.enableCircuitBreaker, let wait = breakers.rejection(for: model) else { return }
        metrics.count("hf_server_errors_total", ["model": model, "error_type": "circuit_open"])
        throw APIError.unavailable("The model '\(model)' is failing; its circuit breaker is open for another \(Int(wait.rounded(.up))) s.",
                                   code: "circuit_open", retryAfter: max(1, Int(wait.rounded(.up))))
    }

    /// Waits for a place to run; full queue and timeout become 503s with Retry-After.
    func admit(model: String, priority: RequestPriority) async throws(APIError) -> RequestQueue.Slot {
        do {
            return try await queue.acquire(model: model, priority: priority)
        } catch {
            switch error {
            case .full(let size):
                metrics.count("hf_server_queue_rejected_total")
                throw APIError.unavailable("The request queue is full (\(size) waiting); retry later.", code: "queue_full", retryAfter: 1)
            case .timedOut(let seconds):
                metrics.count("hf_server_queue_timeouts_total")
                throw APIError.unavailable("The request waited \(seconds) s in the queue without a free model slot; retry later.",
                                           code: "queue_timeout", retryAfter: 1)
            case .cancelled:
                throw APIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), message: "The request was cancelled.",
                               type: "invalid_request_error", code: "cancelled")
            }
        }
    }

    func recordOutcome(model: String, success: Bool, errorType: String? = nil) {
        guard config.enableCircuitBreaker else { return }
        if success { breakers.recordSuccess(model) } else { breakers.recordFailure(model) }
        if let errorType { metrics.count("hf_server_errors_total", ["model": model, "error_type": errorType]) }
    }

    /// Refreshes the gauges that describe current state, then renders all metrics.
    func metricsText() async -> String {
        let loaded = await registry.loaded()
        let total = loaded.reduce(0) { $0 + $1.memoryBytes }
        metrics.gauge("hf_server_models_loaded", Double(loaded.count))
        metrics.gauge("hf_server_model_memory_total_bytes", Double(total))
        metrics.gauge("hf_server_memory_used_mb", Double(total) / 1_048_576)
        metrics.gauge("hf_server_process_resident_bytes", Double(processResidentBytes()))
        for h in loaded {
            // Requests whose prompt began with a stored one, and the prompt tokens they skipped.
            guard case .generation(let g) = h.model, let llm = g as? LlamaModel else { continue }
            let reuse = llm.prefixReuse
            metrics.gauge("hf_server_prefix_cache_hits", ["model": h.name], Double(reuse.hits))
            metrics.gauge("hf_server_prefix_cache_reused_tokens", ["model": h.name], Double(reuse.tokens))
        }
        let q = queue.stats
        metrics.gauge("hf_server_queue_depth", Double(q.currentSize))
        metrics.gauge("hf_server_queue_running", Double(q.running))
        metrics.gauge("hf_server_queue_utilization", q.utilization)
        let c = cache.stats
        metrics.gauge("hf_server_response_cache_entries", Double(c.entries))
        for (model, state) in breakers.states() {
            metrics.gauge("hf_server_circuit_breaker_state", ["model": model], state == .closed ? 0 : state == .halfOpen ? 1 : 2)
        }
        metrics.gauge("hf_server_hardware_utilization", ["hardware": "cpu", "device": "0"], CPUUsage.shared.sample())
        return metrics.text()
    }
}

/// CPU utilisation of the whole machine between two scrapes (from /proc/stat).
final class CPUUsage: Sendable {
    static let shared = CPUUsage()
    private let last = Locked<(busy: Double, total: Double)?>(nil)

    func sample() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return 0 }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 5 else { return 0 }
        let total = v.reduce(0, +)
        let idle = v[3] + v[4]
        let busy = total - idle
        return last.withLock { prev in
            defer { prev = (busy, total) }
            guard let p = prev, total > p.total else { return total > 0 ? busy / total : 0 }
            return (busy - p.busy) / (total - p.total)
        }
    }
}
