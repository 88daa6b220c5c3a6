import Dispatch

/// Runs blocking work (file I/O, the synchronous importer, model loading) on a dispatch thread,
/// so it cannot starve the few cooperative threads that timers and servers need.
///
/// The result crosses back through a lock rather than the continuation alone: the continuation
/// orders the hand-off too, but ThreadSanitizer cannot see that ordering inside the Swift runtime
/// and reported the first reads of a freshly loaded model as races; the lock makes the
/// happens-before edge one it can check, for a cost of one uncontended lock per call.
public func runBlocking<T: Sendable>(on queue: DispatchQueue = .global(qos: .userInitiated),
                                     _ work: @escaping @Sendable () throws -> T) async throws -> T {
    let box = Locked<Result<T, any Error>?>(nil)
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        queue.async {
            let result = Result { try work() }
            box.withLock { $0 = result }
            c.resume()
        }
    }
    return try box.withLock { $0 }!.get()
}
