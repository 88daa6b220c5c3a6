import Foundation

/// A value guarded by a lock, for state touched from request tasks and compute threads alike.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Monotonic seconds; controls take a clock so tests can move time.
public typealias MonotonicClock = @Sendable () -> Double

public let systemMonotonicClock: MonotonicClock = {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
