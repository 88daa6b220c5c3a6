import Foundation

/// A one-shot box guarding a continuation so that exactly one of the racing tasks resumes it.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

    func resume(with result: Result<T, any Error>) {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume(with: result)
    }
}

/// Runs `operation` but answers within `seconds` whatever it does: on expiry the caller gets
/// `expired()` at once and the operation is cancelled. Unlike a task group, this does not wait for
/// an operation that ignores cancellation (a blocked socket, a stuck process), so a caller is never hung.
public func withTimeout<T: Sendable>(
    _ seconds: Double, expired: @escaping @Sendable () -> any Error, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let work = Locked<Task<Void, Never>?>(nil)
    let timer = Locked<Task<Void, Never>?>(nil)
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            work.set(Task {
                do { once.resume(with: .success(try await operation())) } catch { once.resume(with: .failure(error)) }
                timer.get()?.cancel()
            })
            timer.set(Task {
                do {
                    try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
                } catch {
                    // Cancelled: either the work finished (no-op) or the caller gave up.
                    once.resume(with: .failure(CancellationError()))
                    return
                }
                once.resume(with: .failure(expired()))
                work.get()?.cancel()
            })
        }
    } onCancel: {
        work.get()?.cancel()
        timer.get()?.cancel()
    }
}

/// What `withTimeout(_:what:_:)` throws when the time is up.
public struct TimedOut: Error, CustomStringConvertible {
    public let seconds: Double
    public let what: String
    public var description: String { "\(what) did not answer within \(seconds) s" }
}

/// `withTimeout` that throws `TimedOut` naming `what`.
public func withTimeout<T: Sendable>(
    _ seconds: Double, what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTimeout(seconds, expired: { TimedOut(seconds: seconds, what: what) }, operation)
}
