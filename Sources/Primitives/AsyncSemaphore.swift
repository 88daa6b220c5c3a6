/// At most N holders at once; waiters are let in first come, first served, so a burst of callers
/// cannot starve an early one. A waiter whose task is cancelled leaves the queue and throws
/// `CancellationError` without ever holding a permit.
public actor AsyncSemaphore {
    private var available: Int
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    public init(_ permits: Int) {
        precondition(permits > 0, "a semaphore needs at least one permit")
        available = permits
    }

    /// How many callers wait for a permit now (for metrics, and for tests that must know a waiter queued).
    public var waiting: Int { waiters.count }

    /// Takes a permit, waiting in line when none is free. Every successful `acquire` must be
    /// matched by one `release`.
    public func acquire() async throws {
        if available > 0 { available -= 1; return }
        try Task.checkCancellation()
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { waiters.append((id, $0)) }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Hands the permit to the first waiter, or returns it to the pool when nobody waits.
    public func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().continuation.resume() }
    }

    /// Runs `body` holding a permit, released however `body` ends.
    public func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    /// A waiter that is still queued leaves it; one already let in keeps its permit (the caller
    /// then owns a release, as after any successful `acquire`).
    private func cancel(_ id: UInt64) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: i).continuation.resume(throwing: CancellationError())
    }
}
