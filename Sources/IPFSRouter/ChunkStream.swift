import Foundation
import Primitives

/// Turns a blocking, callback-style producer (the exporter, the CAR writer) into an async stream
/// with back-pressure: the producer runs on its own thread and waits while `window` chunks are
/// unread, so a slow reader never makes a whole model pile up in memory.
func boundedStream(window: Int = 8, _ produce: @escaping @Sendable (_ emit: (Data) throws -> Void) throws -> Void) -> AsyncThrowingStream<Data, any Error> {
    let slots = DispatchSemaphore(value: window)
    let stopped = Locked(false)
    let (inner, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
    continuation.onTermination = { _ in
        stopped.set(true)
        slots.signal()
    }
    Thread.detachNewThread {
        do {
            try produce { chunk in
                slots.wait()
                if stopped.get() { throw CancellationError() }
                continuation.yield(chunk)
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }
    let box = IteratorBox(inner.makeAsyncIterator())
    return AsyncThrowingStream(unfolding: {
        let next = try await box.next()
        if next != nil { slots.signal() } else { stopped.set(true); slots.signal() }
        return next
    })
}

/// Holds the single consumer's iterator (only one task ever reads it).
final class IteratorBox: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator
    init(_ it: AsyncThrowingStream<Data, any Error>.AsyncIterator) { iterator = it }
    func next() async throws -> Data? { try await iterator.next() }
}
