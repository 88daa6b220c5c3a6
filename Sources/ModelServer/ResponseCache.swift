import Crypto
import Foundation
import Primitives

/// Whole responses keyed by endpoint, model and the canonical request body, kept for a TTL
/// and bounded by entry count (least recently used goes first).
public final class ResponseCache: Sendable {
    private struct Entry { var value: Data; var expires: Double; var used: UInt64 }
    private struct State { var entries: [String: Entry] = [:]; var tick: UInt64 = 0; var hits = 0; var misses = 0 }

    public let ttlSeconds: Double
    public let maxEntries: Int
    private let state = Locked(State())
    private let clock: MonotonicClock

    public init(ttlSeconds: Double, maxEntries: Int, clock: @escaping MonotonicClock = systemMonotonicClock) {
        self.ttlSeconds = ttlSeconds
        self.maxEntries = maxEntries
        self.clock = clock
    }

    public static func key(endpoint: String, model: String, canonicalRequest: Data) -> String {
        var h = SHA256()
        h.update(data: Data(endpoint.utf8)); h.update(data: [0])
        h.update(data: Data(model.utf8)); h.update(data: [0])
        h.update(data: canonicalRequest)
        return Hex.encode(h.finalize())
    }

    public func get(_ key: String) -> Data? {
        let now = clock()
        return state.withLock { s in
            s.tick += 1
            guard var e = s.entries[key], e.expires > now else {
                s.entries[key] = nil
                s.misses += 1
                return nil
            }
            e.used = s.tick
            s.entries[key] = e
            s.hits += 1
            return e.value
        }
    }

    public func put(_ key: String, _ value: Data) {
        guard ttlSeconds > 0 else { return }
        let now = clock()
        state.withLock { s in
            s.tick += 1
            s.entries[key] = Entry(value: value, expires: now + ttlSeconds, used: s.tick)
            if s.entries.count > maxEntries {
                s.entries = s.entries.filter { $0.value.expires > now }
                while s.entries.count > maxEntries, let oldest = s.entries.min(by: { $0.value.used < $1.value.used }) {
                    s.entries[oldest.key] = nil
                }
            }
        }
    }

    public var stats: (entries: Int, hits: Int, misses: Int) {
        state.withLock { ($0.entries.count, $0.hits, $0.misses) }
    }
}
