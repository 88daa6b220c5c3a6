import Foundation

/// One circuit breaker per model: opens after `failureThreshold` consecutive failures, lets
/// trial requests through (half-open) after `recoverySeconds`, closes after `successThreshold`
/// successes in a row; a failure while half-open opens it again.
public final class CircuitBreakers: Sendable {
    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    private struct Breaker {
        var state: State = .closed
        var failures = 0
        var successes = 0
        var openedAt = 0.0
    }

    public let failureThreshold: Int
    public let recoverySeconds: Double
    public let successThreshold: Int
    private let breakers = Locked([String: Breaker]())
    private let clock: MonotonicClock

    public init(failureThreshold: Int = 5, recoverySeconds: Double = 60, successThreshold: Int = 2,
                clock: @escaping MonotonicClock = systemMonotonicClock) {
        self.failureThreshold = failureThreshold
        self.recoverySeconds = recoverySeconds
        self.successThreshold = successThreshold
        self.clock = clock
    }

    /// nil when a request may go ahead; otherwise the seconds until the breaker half-opens.
    public func rejection(for model: String) -> Double? {
        let now = clock()
        return breakers.withLock { all -> Double? in
            guard var b = all[model], b.state == .open else { return nil }
            let waited = now - b.openedAt
            if waited >= recoverySeconds {
                b.state = .halfOpen
                b.successes = 0
                all[model] = b
                return nil
            }
            return recoverySeconds - waited
        }
    }

    public func recordSuccess(_ model: String) {
        breakers.withLock { all in
            var b = all[model] ?? Breaker()
            b.failures = 0
            if b.state == .halfOpen {
                b.successes += 1
                if b.successes >= successThreshold { b = Breaker() }
            }
            all[model] = b
        }
    }

    public func recordFailure(_ model: String) {
        let now = clock()
        breakers.withLock { all in
            var b = all[model] ?? Breaker()
            switch b.state {
            case .halfOpen:
                b.state = .open
                b.openedAt = now
                b.successes = 0
            case .closed:
                b.failures += 1
                if b.failures >= failureThreshold {
                    b.state = .open
                    b.openedAt = now
                }
            case .open:
                break
            }
            all[model] = b
        }
    }

    public func state(_ model: String) -> State {
        breakers.withLock { $0[model]?.state ?? .closed }
    }

    public func states() -> [String: State] {
        breakers.withLock { $0.mapValues(\.state) }
    }
}
