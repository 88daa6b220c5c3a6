import Dispatch

/// Runs blocking work (file I/O, the synchronous importer, model loading) on a dispatch thread,
/// so it cannot starve the few cooperative threads that timers and servers need.
public func runBlocking<T: Sendable>(on queue: DispatchQueue = .global(qos: .userInitiated),
                                     _ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        queue.async { c.resume(with: Result { try work() }) }
    }
}
