/// Runs one piece of work per key at a time; callers that arrive while it runs share its result
/// (or its failure) instead of starting the same work again. Nothing is cached: the next caller
/// after it ends starts afresh.
public actor SingleFlight<Key: Hashable & Sendable, Value: Sendable> {
    private var running: [Key: Task<Value, any Error>] = [:]

    public init() {}

    public func run(_ key: Key, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task = running[key] { return try await task.value }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
