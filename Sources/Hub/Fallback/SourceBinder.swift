import Foundation

/// One try at one source, for the error body when every source fails.
struct FallbackAttempt: Sendable {
    var source: String
    var url: String
    var status: Int?
    var code: String?
    var message: String
    var cause: FailureCause

}

/// A `FallbackAttempt` in the error body: `status` and `code` are `null` when the source gave none.
extension FallbackAttempt: Encodable {
    private enum CodingKeys: String, CodingKey { case source, url, status, code, message }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(url, forKey: .url)
        try c.encode(status, forKey: .status)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
    }
}

/// Every source failed: one answer with the most telling cause (gated > forbidden > not found > 502).
struct FallbackFailure: Error, Sendable {
    var repo: String
    var attempts: [FallbackAttempt]

    var cause: FailureCause { attempts.map(\.cause).max() ?? .notFound }
}

enum BindOutcome: Sendable {
    case bound(FallbackSource)
    case failed(FallbackFailure)
}

public struct BindingCacheStats: Sendable, Equatable {
    public var size: Int
    public var maxsize: Int
    public var ttlSeconds: Double
    public var hits: Int
    public var misses: Int
}

/// Repo → source bindings (`fallback:repo:{type}:{namespace}/{name}`), mapping only, never content.
/// The first successful probe binds for the TTL; concurrent first requests wait on that one probe.
actor SourceBinder {
    private struct Entry { var source: FallbackSource; var expires: ContinuousClock.Instant }
    private var entries: [String: Entry] = [:]
    private var probes: [String: Task<BindOutcome, Never>] = [:]
    private var hits = 0, misses = 0
    private var generation = 0
    let maxSize = 10_000
    var ttl: Duration

    init(ttlSeconds: Double) { ttl = .milliseconds(Int64(ttlSeconds * 1000)) }

    static func key(_ type: String, _ namespace: String, _ name: String) -> String { "fallback:repo:\(type):\(namespace)/\(name)" }

    /// The bound source if the binding is still fresh (counts a hit or a miss).
    func cached(_ key: String) -> FallbackSource? {
        if let e = entries[key], e.expires > .now { hits += 1; return e.source }
        entries[key] = nil
        misses += 1
        return nil
    }

    func bind(_ key: String, probe: @escaping @Sendable () async -> BindOutcome) async -> BindOutcome {
        if let source = cached(key) { return .bound(source) }
        if let running = probes[key] { return await running.value }
        let task = Task { await probe() }
        probes[key] = task
        let gen = generation
        let outcome = await task.value
        probes[key] = nil
        // A cache clear while probing (sources changed) must not resurrect a binding to an old source.
        if case .bound(let source) = outcome, gen == generation {
            if entries.count >= maxSize { evictOldest() }
            entries[key] = Entry(source: source, expires: .now + ttl)
        }
        return outcome
    }

    private func evictOldest() {
        let now = ContinuousClock.now
        entries = entries.filter { $0.value.expires > now }
        if entries.count >= maxSize, let oldest = entries.min(by: { $0.value.expires < $1.value.expires })?.key {
            entries[oldest] = nil
        }
    }

    func clear() {
        entries.removeAll()
        generation += 1
    }

    func stats() -> BindingCacheStats {
        let now = ContinuousClock.now
        return BindingCacheStats(size: entries.values.filter { $0.expires > now }.count, maxsize: maxSize,
                                 ttlSeconds: Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18,
                                 hits: hits, misses: misses)
    }
}
