import Testing
import Primitives

/// The order waiters were let in, recorded as they are.
private actor Order {
    var entered: [Int] = []
    func add(_ i: Int) { entered.append(i) }
}

/// Waits until `semaphore` has `n` queued waiters, by polling through the actor: the waiters are
/// separate tasks, and the test must know they queued in order before it releases.
private func queued(_ n: Int, on semaphore: AsyncSemaphore) async {
    while await semaphore.waiting < n { try? await Task.sleep(nanoseconds: 1_000_000) }
}

/// A semaphore whose every permit is taken, so the next `acquire` waits.
private func exhausted(_ permits: Int) async throws -> AsyncSemaphore {
    let semaphore = AsyncSemaphore(permits)
    for _ in 0..<permits { try await semaphore.acquire() }
    return semaphore
}

@Test func waitersAreLetInFirstComeFirstServed() async throws {
    let semaphore = try await exhausted(1)
    let order = Order()
    var tasks: [Task<Void, any Error>] = []
    for i in 0..<5 {
        tasks.append(Task {
            try await semaphore.acquire()
            await order.add(i)
            await semaphore.release()
        })
        // Queue each before starting the next, so arrival order is known.
        await queued(i + 1, on: semaphore)
    }
    await semaphore.release()
    for t in tasks { try await t.value }
    #expect(await order.entered == [0, 1, 2, 3, 4])
}

@Test func permitsBoundHolders() async throws {
    let semaphore = try await exhausted(2)
    let third = Task { try await semaphore.acquire() }
    await queued(1, on: semaphore)
    await semaphore.release()
    try await third.value
    #expect(await semaphore.waiting == 0)
}

@Test func cancelledWaiterLeavesTheQueueWithoutAPermit() async throws {
    let semaphore = try await exhausted(1)
    let cancelled = Task { try await semaphore.acquire() }
    await queued(1, on: semaphore)
    let next = Task { try await semaphore.acquire() }
    await queued(2, on: semaphore)
    cancelled.cancel()
    await #expect(throws: CancellationError.self) { try await cancelled.value }
    // The permit goes to the waiter behind the cancelled one, not to nobody.
    await semaphore.release()
    try await next.value
    #expect(await semaphore.waiting == 0)
}

@Test func alreadyCancelledTaskDoesNotQueue() async throws {
    let semaphore = try await exhausted(1)
    let t = Task {
        withUnsafeCurrentTask { $0?.cancel() }
        try await semaphore.acquire()
    }
    await #expect(throws: CancellationError.self) { try await t.value }
    #expect(await semaphore.waiting == 0)
}

@Test func withPermitReleasesOnFailure() async throws {
    struct Boom: Error {}
    let semaphore = AsyncSemaphore(1)
    await #expect(throws: Boom.self) { try await semaphore.withPermit { throw Boom() } }
    // The permit is back: this would wait forever otherwise.
    #expect(try await semaphore.withPermit { 42 } == 42)
}
