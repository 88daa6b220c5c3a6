import Foundation

public enum RequestPriority: Int, Sendable, Comparable, CaseIterable {
    case low = 0, normal, high, critical

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// `LOW|NORMAL|HIGH|CRITICAL` (any case) or `0...3`.
    public init?(name: String) {
        switch name.trimmingCharacters(in: .whitespaces).uppercased() {
        case "LOW", "0": self = .low
        case "NORMAL", "1": self = .normal
        case "HIGH", "2": self = .high
        case "CRITICAL", "3": self = .critical
        default: return nil
        }
    }

    public var name: String { ["LOW", "NORMAL", "HIGH", "CRITICAL"][rawValue] }
}

/// Admission to the models: at most `maxConcurrent` requests execute per lane (one global lane,
/// or one per model); the others wait, highest priority first and FIFO within a priority, in a
/// queue of at most `maxSize`. A full queue refuses at once; a wait longer than `timeout` ends with
/// an answer, never a hang; a caller that goes away leaves the queue.
public final class RequestQueue: Sendable {
    public struct Stats: Sendable, Equatable {
        public var currentSize: Int
        public var maxSize: Int
        public var totalQueued: Int
        public var totalProcessed: Int
        public var totalTimeouts: Int
        public var totalRejected: Int
        public var totalCancelled: Int
        public var running: Int
        public var byPriority: [String: Int]
        public var utilization: Double { maxSize == 0 ? (currentSize > 0 ? 1 : 0) : Double(currentSize) / Double(maxSize) }
    }

    public enum Refusal: Error, Sendable, Equatable {
        case full(size: Int)
        case timedOut(seconds: Double)
        case cancelled
    }

    /// Held while a request executes; give it back with `release`.
    public struct Slot: Sendable {
        let lane: String
        let counted: Bool
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
        var timer: Task<Void, Never>?
    }

    private struct Lane {
        var waiting: [[Waiter]] = Array(repeating: [], count: RequestPriority.allCases.count)
        var running = 0
        var waitingCount: Int { waiting.reduce(0) { $0 + $1.count } }
    }

    private struct State {
        var lanes: [String: Lane] = [:]
        var nextID: UInt64 = 0
        var queued = 0, processed = 0, timeouts = 0, rejected = 0, cancelled = 0
    }

    public let enabled: Bool
    public let maxSize: Int
    public let maxConcurrent: Int
    public let timeoutSeconds: Double
    public let perModel: Bool
    private let state = Locked(State())

    public init(enabled: Bool, maxSize: Int, maxConcurrent: Int, timeoutSeconds: Double, perModel: Bool) {
        self.enabled = enabled
        self.maxSize = maxSize
        self.maxConcurrent = maxConcurrent
        self.timeoutSeconds = timeoutSeconds
        self.perModel = perModel
    }

    public func acquire(model: String, priority: RequestPriority) async throws(Refusal) -> Slot {
        let lane = perModel ? model : "global"
        guard enabled else { return Slot(lane: lane, counted: false) }
        enum Admission { case run, wait(UInt64), refuse(Int) }
        let admission: Admission = state.withLock { s in
            var l = s.lanes[lane] ?? Lane()
            defer { s.lanes[lane] = l }
            if l.running < maxConcurrent && l.waitingCount == 0 {
                l.running += 1
                s.queued += 1
                s.processed += 1
                return .run
            }
            if l.waitingCount >= maxSize {
                s.rejected += 1
                return .refuse(l.waitingCount)
            }
            s.nextID += 1
            s.queued += 1
            return .wait(s.nextID)
        }
        switch admission {
        case .run:
            return Slot(lane: lane, counted: true)
        case .refuse(let size):
            throw .full(size: size)
        case .wait(let id):
            do {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                        state.withLock { s in
                            s.lanes[lane, default: Lane()].waiting[priority.rawValue].append(Waiter(id: id, continuation: c, timer: nil))
                        }
                        let timer = Task { [timeoutSeconds] in
                            try? await Task.sleep(nanoseconds: UInt64(timeoutSeconds * 1e9))
                            if !Task.isCancelled { self.remove(id: id, lane: lane, error: Refusal.timedOut(seconds: timeoutSeconds)) }
                        }
                        let stored = state.withLock { s -> Bool in
                            guard var l = s.lanes[lane] else { return false }
                            for p in 0..<l.waiting.count {
                                if let i = l.waiting[p].firstIndex(where: { $0.id == id }) {
                                    l.waiting[p][i].timer = timer
                                    s.lanes[lane] = l
                                    return true
                                }
                            }
                            return false
                        }
                        if !stored { timer.cancel() }
                        // The caller may have been cancelled before its waiter was in place.
                        if Task.isCancelled { self.remove(id: id, lane: lane, error: Refusal.cancelled) }
                    }
                } onCancel: {
                    self.remove(id: id, lane: lane, error: Refusal.cancelled)
                }
            } catch let refusal as Refusal {
                throw refusal
            } catch {
                throw .cancelled
            }
            return Slot(lane: lane, counted: true)
        }
    }

    /// Ends a request's execution and hands its place to the next waiter.
    public func release(_ slot: Slot) {
        guard slot.counted else { return }
        let next: Waiter? = state.withLock { s in
            guard var l = s.lanes[slot.lane] else { return nil }
            defer { s.lanes[slot.lane] = l }
            for p in RequestPriority.allCases.reversed() where !l.waiting[p.rawValue].isEmpty {
                s.processed += 1
                return l.waiting[p.rawValue].removeFirst()  // the place passes on; running stays
            }
            l.running -= 1
            return nil
        }
        if let next {
            next.timer?.cancel()
            next.continuation.resume()
        }
    }

    private func remove(id: UInt64, lane: String, error: Refusal) {
        let found: Waiter? = state.withLock { s in
            guard var l = s.lanes[lane] else { return nil }
            for p in 0..<l.waiting.count {
                if let i = l.waiting[p].firstIndex(where: { $0.id == id }) {
                    let w = l.waiting[p].remove(at: i)
                    s.lanes[lane] = l
                    if case .timedOut = error { s.timeouts += 1 } else { s.cancelled += 1 }
                    return w
                }
            }
            return nil
        }
        guard let found else { return }
        found.timer?.cancel()
        found.continuation.resume(throwing: error)
    }

    public var stats: Stats {
        state.withLock { s in
            var byPriority: [String: Int] = [:]
            for p in RequestPriority.allCases {
                byPriority[p.name] = s.lanes.values.reduce(0) { $0 + $1.waiting[p.rawValue].count }
            }
            return Stats(currentSize: s.lanes.values.reduce(0) { $0 + $1.waitingCount },
                         maxSize: perModel ? maxSize * max(1, s.lanes.count) : maxSize,
                         totalQueued: s.queued, totalProcessed: s.processed, totalTimeouts: s.timeouts,
                         totalRejected: s.rejected, totalCancelled: s.cancelled,
                         running: s.lanes.values.reduce(0) { $0 + $1.running }, byPriority: byPriority)
        }
    }
}
