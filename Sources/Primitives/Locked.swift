import Foundation

/// A value guarded by a lock, for state touched from tasks and dispatch threads alike (where an
/// actor would force every reader to await). Keep the closures short: they run under the lock.
public final class Locked<Value> {
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value as it is now.
    public func get() -> Value { withLock { $0 } }

    public func set(_ newValue: Value) { withLock { $0 = newValue } }
}

// The lock is what makes sharing safe, but only for values that may cross threads themselves.
extension Locked: @unchecked Sendable where Value: Sendable {}
