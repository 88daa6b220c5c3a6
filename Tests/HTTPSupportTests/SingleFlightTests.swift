import Testing
import Primitives

/// Counts how many times the shared work really ran, and holds it until the test lets it finish.
private actor Gate {
    var runs = 0
    private var opened = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    func enter() async {
        runs += 1
        if !opened { await withCheckedContinuation { waiting.append($0) } }
    }
    func open() { opened = true; waiting.forEach { $0.resume() }; waiting = [] }
}

private struct Failed: Error, Equatable { var n: Int }

/// Starts `callers` concurrent runs of `key` and waits until the work has started and every other
/// caller is on its way in, so they join it rather than start their own.
private func start<V: Sendable>(_ flight: SingleFlight<String, V>, _ key: String, callers: Int, gate: Gate,
                                work: @escaping @Sendable () async throws -> V) async throws -> [Task<V, any Error>] {
    let first = Task { try await flight.run(key) { await gate.enter(); return try await work() } }
    while await gate.runs == 0 { try? await Task.sleep(nanoseconds: 1_000_000) }
    let started = Counter()
    var tasks = [first]
    for _ in 1..<callers {
        tasks.append(Task {
            await started.add()
            return try await flight.run(key) { await gate.enter(); return try await work() }
        })
    }
    while await started.n < callers - 1 { try? await Task.sleep(nanoseconds: 1_000_000) }
    // From `started` to inside `run` is one hop to an idle actor; the work stays held meanwhile,
    // so a joiner that were late would show up as a second run.
    try await Task.sleep(for: .milliseconds(50))
    return tasks
}

private actor Counter {
    var n = 0
    func add() { n += 1 }
}

@Test func concurrentCallersShareOneResult() async throws {
    let flight = SingleFlight<String, Int>()
    let gate = Gate()
    let tasks = try await start(flight, "k", callers: 5, gate: gate) { 7 }
    await gate.open()
    for t in tasks { #expect(try await t.value == 7) }
    #expect(await gate.runs == 1)
}

@Test func concurrentCallersShareOneFailure() async throws {
    let flight = SingleFlight<String, Int>()
    let gate = Gate()
    let tasks = try await start(flight, "k", callers: 4, gate: gate) { throw Failed(n: 3) }
    await gate.open()
    for t in tasks { await #expect(throws: Failed(n: 3)) { try await t.value } }
    #expect(await gate.runs == 1)
}

@Test func nothingIsCachedAfterTheFlightEnds() async throws {
    let flight = SingleFlight<String, Int>()
    let gate = Gate()
    await gate.open()
    #expect(try await flight.run("k") { await gate.enter(); return 1 } == 1)
    #expect(try await flight.run("k") { await gate.enter(); return 2 } == 2)
    #expect(await gate.runs == 2)
}

@Test func differentKeysRunSeparately() async throws {
    let flight = SingleFlight<String, String>()
    async let a = flight.run("a") { "A" }
    async let b = flight.run("b") { "B" }
    #expect(try await [a, b] == ["A", "B"])
}
