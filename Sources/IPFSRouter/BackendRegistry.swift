import Foundation

/// Named backend factories, an optional process-wide default, and (with `IPFS_ROUTER_CACHE=1`)
/// the instances already made.
public final class BackendRegistry: @unchecked Sendable {
    public typealias Factory = @Sendable (RouterSettings) throws -> any IPFSBackend

    private let lock = NSLock()
    private var factories: [String: Factory] = [:]
    private var order: [String] = []
    private var instances: [String: any IPFSBackend] = [:]
    private var defaultName: String?

    public init() {}

    /// Registers (or replaces) a backend factory. A blank name is an error.
    public func register(_ name: String, factory: @escaping Factory) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RouterError.blankBackendName }
        lock.lock(); defer { lock.unlock() }
        if factories[trimmed] == nil { order.append(trimmed) }
        factories[trimmed] = factory
        instances[trimmed] = nil
    }

    /// Sets (or with nil clears) the process-wide default backend.
    public func setDefault(_ name: String?) throws {
        guard let name else { lock.withLock { defaultName = nil }; return }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RouterError.blankBackendName }
        try lock.withLock {
            guard factories[trimmed] != nil else {
                throw RouterError.unknownBackend(name: trimmed, known: order, source: "setDefault")
            }
            defaultName = trimmed
        }
    }

    public var defaultBackend: String? { lock.withLock { defaultName } }
    public var names: [String] { lock.withLock { order } }
    public func contains(_ name: String) -> Bool { lock.withLock { factories[name] != nil } }

    /// The backend registered under `name`: the cached instance when `settings.cacheInstances`,
    /// else a fresh one from its factory.
    public func backend(named name: String, settings: RouterSettings, source: String = "backend(named:)") throws -> any IPFSBackend {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RouterError.blankBackendName }
        let (factory, cached, known): (Factory?, (any IPFSBackend)?, [String]) = lock.withLock {
            (factories[trimmed], settings.cacheInstances ? instances[trimmed] : nil, order)
        }
        if let cached { return cached }
        guard let factory else { throw RouterError.unknownBackend(name: trimmed, known: known, source: source) }
        let made: any IPFSBackend
        do { made = try factory(settings) } catch {
            throw RouterError.factoryFailed(name: trimmed, reason: "\(error)")
        }
        if settings.cacheInstances {
            return lock.withLock {
                if let other = instances[trimmed] { return other }
                instances[trimmed] = made
                return made
            }
        }
        return made
    }

    /// Forgets cached instances (the seed's `cache_clear()`).
    public func clearCache() { lock.withLock { instances.removeAll() } }
}
