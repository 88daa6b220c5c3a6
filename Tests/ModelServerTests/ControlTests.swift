import Foundation
import Testing
@preconcurrency import ModelServer

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 1000.0
    func advance(_ s: Double) { lock.lock(); now += s; lock.unlock() }
    var read: MonotonicClock { { [self] in lock.lock(); defer { lock.unlock() }; return now } }
}

@Suite struct RateLimiterTests {
    @Test func bucketAllowsItsLimitThenRefusesWithRetryAfter() {
        let clock = ManualClock()
        let limiter = RateLimiter(clock: clock.read)
        for i in 0..<6 {
            let d = limiter.check(key: "k", limit: 6)
            #expect(d.allowed)
            #expect(d.remaining == 5 - i)
        }
        let refused = limiter.check(key: "k", limit: 6)
        #expect(!refused.allowed)
        #expect(refused.remaining == 0)
        // 6 per minute: one token every 10 s.
        #expect(refused.headers(wallClock: 0)["Retry-After"] == "10")
        #expect(refused.headers(wallClock: 0)["X-RateLimit-Limit"] == "6")
        #expect(refused.headers(wallClock: 0)["X-RateLimit-Reset"] == "60")
        // Another key has its own bucket.
        #expect(limiter.check(key: "other", limit: 6).allowed)
        clock.advance(10)
        #expect(limiter.check(key: "k", limit: 6).allowed)
        #expect(!limiter.check(key: "k", limit: 6).allowed)
    }
}

@Suite struct CircuitBreakerTests {
    @Test func opensAfterFiveFailuresHalfOpensAfterTimeoutClosesAfterTwoSuccesses() {
        let clock = ManualClock()
        let b = CircuitBreakers(failureThreshold: 5, recoverySeconds: 60, successThreshold: 2, clock: clock.read)
        for _ in 0..<4 { b.recordFailure("m") }
        #expect(b.rejection(for: "m") == nil)
        b.recordSuccess("m")  // a success resets the consecutive count
        for _ in 0..<4 { b.recordFailure("m") }
        #expect(b.state("m") == .closed)
        b.recordFailure("m")
        #expect(b.state("m") == .open)
        #expect(b.rejection(for: "m") == 60)
        #expect(b.rejection(for: "other") == nil)
        clock.advance(59)
        #expect(b.rejection(for: "m") != nil)
        clock.advance(1)
        #expect(b.rejection(for: "m") == nil)
        #expect(b.state("m") == .halfOpen)
        b.recordSuccess("m")
        #expect(b.state("m") == .halfOpen)
        b.recordSuccess("m")
        #expect(b.state("m") == .closed)
    }

    @Test func failureWhileHalfOpenOpensAgain() {
        let clock = ManualClock()
        let b = CircuitBreakers(failureThreshold: 5, recoverySeconds: 60, successThreshold: 2, clock: clock.read)
        for _ in 0..<5 { b.recordFailure("m") }
        clock.advance(60)
        #expect(b.rejection(for: "m") == nil)
        b.recordFailure("m")
        #expect(b.state("m") == .open)
        #expect(b.rejection(for: "m") == 60)
    }
}

@Suite struct ResponseCacheTests {
    @Test func entriesExpireAfterTheirTTLAndCountHitsAndMisses() {
        let clock = ManualClock()
        let c = ResponseCache(ttlSeconds: 10, maxEntries: 10, clock: clock.read)
        let k = ResponseCache.key(endpoint: "e", model: "m", canonicalRequest: Data("{}".utf8))
        #expect(c.get(k) == nil)
        c.put(k, Data("v".utf8))
        #expect(c.get(k) == Data("v".utf8))
        clock.advance(10.5)
        #expect(c.get(k) == nil)
        #expect(c.stats.hits == 1)
        #expect(c.stats.misses == 2)
    }

    @Test func keyDependsOnModelEndpointAndRequest() {
        let a = ResponseCache.key(endpoint: "e", model: "m", canonicalRequest: Data("{\"a\":1}".utf8))
        #expect(a != ResponseCache.key(endpoint: "e", model: "n", canonicalRequest: Data("{\"a\":1}".utf8)))
        #expect(a != ResponseCache.key(endpoint: "f", model: "m", canonicalRequest: Data("{\"a\":1}".utf8)))
        #expect(a != ResponseCache.key(endpoint: "e", model: "m", canonicalRequest: Data("{\"a\":2}".utf8)))
    }

    @Test func leastRecentlyUsedGoesWhenFull() {
        let c = ResponseCache(ttlSeconds: 100, maxEntries: 2)
        c.put("a", Data([1])); c.put("b", Data([2]))
        _ = c.get("a")
        c.put("c", Data([3]))
        #expect(c.get("a") != nil)
        #expect(c.get("b") == nil)
        #expect(c.get("c") != nil)
    }
}

// The polling loops below sleep rather than yield: on two cores, a loop of Task.yield() can keep a
// cooperative thread the awaited tasks need, and a loaded CI run timed out that way.
@Suite struct RequestQueueTests {
    @Test func fullQueueRefusesAndStatsAddUp() async throws {
        let q = RequestQueue(enabled: true, maxSize: 2, maxConcurrent: 1, timeoutSeconds: 30, perModel: false)
        let running = try await q.acquire(model: "m", priority: .normal)
        let waiters = (0..<2).map { _ in Task { try await q.acquire(model: "m", priority: .normal) } }
        while q.stats.currentSize < 2 { try? await Task.sleep(nanoseconds: 1_000_000) }
        await #expect(throws: RequestQueue.Refusal.full(size: 2)) { try await q.acquire(model: "m", priority: .normal) }
        q.release(running)
        for w in waiters { q.release(try await w.value) }
        let s = q.stats
        #expect(s.totalRejected == 1)
        #expect(s.totalQueued == 3)
        #expect(s.totalProcessed == 3)
        #expect(s.currentSize == 0 && s.running == 0)
        #expect(s.totalQueued == s.totalProcessed + s.totalTimeouts + s.totalCancelled + s.currentSize)
    }

    @Test func higherPriorityFirstAndFIFOWithinAPriority() async throws {
        let q = RequestQueue(enabled: true, maxSize: 10, maxConcurrent: 1, timeoutSeconds: 30, perModel: false)
        let order = OrderLog()
        let first = try await q.acquire(model: "m", priority: .normal)
        var tasks: [Task<Void, any Error>] = []
        for (name, p) in [("low", RequestPriority.low), ("n1", .normal), ("crit", .critical), ("n2", .normal), ("high", .high)] {
            tasks.append(Task {
                let slot = try await q.acquire(model: "m", priority: p)
                order.append(name)
                q.release(slot)
            })
            while q.stats.currentSize < tasks.count { try? await Task.sleep(nanoseconds: 1_000_000) }
        }
        q.release(first)
        for t in tasks { try await t.value }
        #expect(order.items == ["crit", "high", "n1", "n2", "low"])
    }

    @Test func waitingPastTheTimeoutEndsWithAnAnswer() async throws {
        let q = RequestQueue(enabled: true, maxSize: 5, maxConcurrent: 1, timeoutSeconds: 0.1, perModel: false)
        let held = try await q.acquire(model: "m", priority: .normal)
        await #expect(throws: RequestQueue.Refusal.timedOut(seconds: 0.1)) { try await q.acquire(model: "m", priority: .high) }
        #expect(q.stats.totalTimeouts == 1)
        #expect(q.stats.currentSize == 0)
        q.release(held)
        // The slot is free again.
        q.release(try await q.acquire(model: "m", priority: .normal))
    }

    @Test func cancelledWaiterLeavesTheQueue() async throws {
        let q = RequestQueue(enabled: true, maxSize: 5, maxConcurrent: 1, timeoutSeconds: 30, perModel: false)
        let held = try await q.acquire(model: "m", priority: .normal)
        let waiter = Task { try await q.acquire(model: "m", priority: .normal) }
        while q.stats.currentSize < 1 { try? await Task.sleep(nanoseconds: 1_000_000) }
        waiter.cancel()
        await #expect(throws: RequestQueue.Refusal.cancelled) { try await waiter.value }
        #expect(q.stats.currentSize == 0)
        #expect(q.stats.totalCancelled == 1)
        q.release(held)
        #expect(q.stats.running == 0)
    }

    @Test func perModelLanesDoNotBlockEachOther() async throws {
        let q = RequestQueue(enabled: true, maxSize: 0, maxConcurrent: 1, timeoutSeconds: 30, perModel: true)
        let a = try await q.acquire(model: "a", priority: .normal)
        let b = try await q.acquire(model: "b", priority: .normal)
        await #expect(throws: RequestQueue.Refusal.full(size: 0)) { try await q.acquire(model: "a", priority: .normal) }
        q.release(a); q.release(b)
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [String] = []
    func append(_ s: String) { lock.lock(); _items.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return _items }
}

@Suite struct ConfigTests {
    @Test func readsTheDocumentedVariables() throws {
        let c = try ModelServerConfig.fromEnvironment([
            "HF_SERVER_ENABLE_AUTH": "true", "HF_SERVER_REQUIRE_AUTH": "1", "HF_SERVER_ADMIN_API_KEY": "adm",
            "HF_SERVER_ENABLE_RATE_LIMITING": "yes", "HF_SERVER_DEFAULT_RATE_LIMIT": "7",
            "HF_SERVER_MAX_QUEUE_SIZE": "50", "HF_SERVER_QUEUE_TIMEOUT_SECONDS": "2.5", "HF_SERVER_QUEUE_MODE": "per_model",
            "HF_SERVER_ENABLE_BATCHING": "false", "HF_SERVER_ENABLE_CACHING": "off", "HF_SERVER_ENABLE_CIRCUIT_BREAKER": "0",
            "HF_SERVER_MAX_LOADED_MODELS": "3", "HF_SERVER_PRELOAD_MODELS": "a/b, ipfs://bafy",
            "ENABLE_IPFS_MODEL_STORAGE": "true",
        ])
        #expect(c.enableAuth && c.requireAuth && c.adminAPIKey == "adm")
        #expect(c.enableRateLimiting && c.defaultRateLimit == 7)
        #expect(c.maxQueueSize == 50 && c.queueTimeoutSeconds == 2.5 && c.queuePerModel)
        #expect(!c.enableBatching && !c.enableCaching && !c.enableCircuitBreaker)
        #expect(c.maxLoadedModels == 3 && c.preloadModels == ["a/b", "ipfs://bafy"])
        #expect(c.enableIPFSModelStorage && !c.enableIPFSModelCache)
    }

    @Test func malformedValueNamesTheVariable() {
        #expect(throws: ConfigError.self) { try ModelServerConfig.fromEnvironment(["HF_SERVER_MAX_QUEUE_SIZE": "lots"]) }
        do { _ = try ModelServerConfig.fromEnvironment(["HF_SERVER_ENABLE_AUTH": "maybe"]) } catch {
            #expect("\(error)".contains("HF_SERVER_ENABLE_AUTH"))
        }
    }
}
