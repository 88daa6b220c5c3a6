import Foundation
import Logging

/// Picks backends in the seed's order and fails over per operation, returning a receipt.
///
/// Order: explicit argument > process-wide default > `IPFS_BACKEND` > ipfs_kit > hf_cache > kubo,
/// leaving out built-ins that are disabled. The first candidate is the preferred one; the rest are
/// the fallbacks an operation moves on to when a backend is unavailable or fails. "Not found" from
/// one backend makes the router ask the next; only when every backend says no is it not found.
public final class BackendRouter: Sendable {
    public struct Candidate: Sendable, Equatable {
        public var name: String
        public var selectedBy: String
        /// Set when the backend is listed but disabled by configuration.
        public var disabledReason: String?
    }

    public struct BackendStatus: Sendable {
        public var name: String
        public var selectedBy: String
        public var enabled: Bool
        public var availability: BackendAvailability
        public var inUse: Bool
    }

    public let registry: BackendRegistry
    public let settings: RouterSettings
    let logger: Logger

    public init(settings: RouterSettings, registry: BackendRegistry, logger: Logger = Logger(label: "ipfs-accelerate.router")) {
        self.settings = settings
        self.registry = registry
        self.logger = logger
    }

    /// The candidate list for an operation, in order, with disabled built-ins marked.
    public func plan(explicit: String? = nil) throws -> [Candidate] {
        var out: [Candidate] = []
        func add(_ name: String, _ why: String, forced: Bool) throws {
            guard !out.contains(where: { $0.name == name }) else { return }
            guard registry.contains(name) else {
                throw RouterError.unknownBackend(name: name, known: registry.names, source: why)
            }
            let disabled = settings.disabledReason(name)
            if forced, let disabled { throw RouterError.backendDisabled(name: name, reason: disabled, source: why) }
            out.append(Candidate(name: name, selectedBy: why, disabledReason: disabled))
        }
        if let explicit {
            let t = explicit.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !t.isEmpty else { throw RouterError.blankBackendName }
            try add(t, "explicit argument", forced: true)
        }
        if let d = registry.defaultBackend { try add(d, "process default", forced: true) }
        if let forced = settings.forcedBackend { try add(forced, "IPFS_BACKEND=\(forced)", forced: true) }
        for (i, name) in RouterSettings.knownBuiltins.enumerated() where registry.contains(name) {
            try add(name, i == 0 ? "auto (preferred)" : "auto (fallback \(i))", forced: false)
        }
        return out
    }

    /// Every candidate with its availability; `inUse` marks the one operations go to first.
    public func status(explicit: String? = nil) async throws -> [BackendStatus] {
        var out: [BackendStatus] = []
        var chosen = false
        for c in try plan(explicit: explicit) {
            var avail: BackendAvailability
            if let d = c.disabledReason {
                avail = .unavailable(d)
            } else {
                do {
                    let b = try registry.backend(named: c.name, settings: settings)
                    avail = await probe(b)
                } catch {
                    avail = .unavailable("\(error)")
                }
            }
            let use = !chosen && avail.isAvailable
            if use { chosen = true }
            out.append(BackendStatus(name: c.name, selectedBy: c.selectedBy, enabled: c.disabledReason == nil,
                                     availability: avail, inUse: use))
        }
        return out
    }

    func probe(_ b: any IPFSBackend) async -> BackendAvailability {
        do {
            // A backend may probe an API and then a CLI: allow both, then cut it off.
            return try await withBackendTimeout(settings.probeTimeout * 2 + 1, what: "availability of \(b.name)") { await b.availability() }
        } catch {
            return .unavailable("\(error)")
        }
    }

    /// Runs `body` on each candidate in turn until one serves it.
    func run<T: Sendable>(_ operation: String, cid: String? = nil, backend explicit: String?,
                          _ body: @escaping @Sendable (any IPFSBackend) async throws -> T) async throws -> Routed<T> {
        if let cid { try CIDCheck.validate(cid) }
        let candidates = try plan(explicit: explicit)
        var receipt = Receipt(operation: operation, servedBy: nil, attempts: [])
        var askedAny = false
        for c in candidates {
            let start = Date()
            func record(_ o: Receipt.Attempt.Outcome) {
                receipt.attempts.append(.init(backend: c.name, selectedBy: c.selectedBy, outcome: o,
                                              seconds: Date().timeIntervalSince(start)))
            }
            if let d = c.disabledReason { record(.skipped(d)); continue }
            let b: any IPFSBackend
            do { b = try registry.backend(named: c.name, settings: settings) } catch { record(.skipped("\(error)")); continue }
            let avail = await probe(b)
            guard avail.isAvailable else { record(.skipped(avail.reason)); continue }
            askedAny = true
            do {
                let value = try await withBackendTimeout(settings.operationTimeout, what: "\(operation) on \(c.name)") { try await body(b) }
                record(.served)
                receipt.servedBy = c.name
                log(receipt)
                return Routed(value: value, receipt: receipt)
            } catch BackendError.notFound(_) {
                record(.notFound)
            } catch let e as BackendError {
                if case .invalidInput = e { record(.failed("\(e)")); log(receipt); throw e }
                record(.failed("\(e)"))
            } catch is CancellationError {
                record(.failed("cancelled"))
                log(receipt)
                throw CancellationError()
            } catch {
                record(.failed(Self.describe(error)))
            }
        }
        log(receipt)
        guard askedAny else { throw RouterError.allBackendsFailed(receipt: receipt) }
        let failures = receipt.attempts.filter { if case .failed = $0.outcome { return true } else { return false } }
        let noes = receipt.attempts.filter { $0.outcome == .notFound }
        if let cid, !noes.isEmpty, failures.isEmpty { throw RouterError.notFound(cid: cid, receipt: receipt) }
        throw RouterError.allBackendsFailed(receipt: receipt)
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? LocalizedError, let d = e.errorDescription { return d }
        return String(describing: error)
    }

    func log(_ r: Receipt) {
        let degraded = r.degraded || r.servedBy == nil
        logger.log(level: degraded ? .warning : .debug, "\(r)",
                   metadata: ["operation": "\(r.operation)", "served_by": "\(r.servedBy ?? "-")", "degraded": "\(r.degraded)"])
    }

    // MARK: the operations

    public func addBytes(_ data: Data, pin: Bool = true, backend: String? = nil) async throws -> Routed<String> {
        try await run("add_bytes", backend: backend) { try await $0.addBytes(data, pin: pin) }
    }
    public func cat(_ cid: String, backend: String? = nil) async throws -> Routed<Data> {
        try await run("cat", cid: cid, backend: backend) { try await $0.cat(cid) }
    }
    /// Streams a file (or a range of it). Failover happens before the first byte; a stream that
    /// breaks afterwards ends with the backend's error.
    public func catStream(_ cid: String, range: ByteRange? = nil, backend: String? = nil) async throws -> Routed<AsyncThrowingStream<Data, any Error>> {
        try await run("cat_stream", cid: cid, backend: backend) { try await $0.catStream(cid, range: range) }
    }
    public func pin(_ cid: String, backend: String? = nil) async throws -> Routed<Void> {
        try await run("pin", cid: cid, backend: backend) { try await $0.pin(cid) }
    }
    public func unpin(_ cid: String, backend: String? = nil) async throws -> Routed<Void> {
        try await run("unpin", cid: cid, backend: backend) { try await $0.unpin(cid) }
    }
    public func pins(backend: String? = nil) async throws -> Routed<[String]> {
        try await run("pin_ls", backend: backend) { try await $0.pins() }
    }
    public func blockPut(_ data: Data, codec: String = "raw", backend: String? = nil) async throws -> Routed<String> {
        try await run("block_put", backend: backend) { try await $0.blockPut(data, codec: codec) }
    }
    public func blockGet(_ cid: String, backend: String? = nil) async throws -> Routed<Data> {
        try await run("block_get", cid: cid, backend: backend) { try await $0.blockGet(cid) }
    }
    public func addPath(_ path: String, recursive: Bool = true, pin: Bool = true, options: AddOptions = .kuboDefault,
                        backend: String? = nil) async throws -> Routed<String> {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw BackendError.invalidInput("no such file or folder: \(path)")
        }
        if isDir.boolValue && !recursive {
            throw BackendError.invalidInput("\(path) is a folder: add it with recursive: true")
        }
        return try await run("add_path", backend: backend) { try await $0.addPath(path, recursive: recursive, pin: pin, options: options) }
    }
    public func getToPath(_ cid: String, outputPath: String, backend: String? = nil) async throws -> Routed<Void> {
        try await run("get_to_path", cid: cid, backend: backend) { try await $0.getToPath(cid, outputPath: outputPath) }
    }
    public func ls(_ cid: String, backend: String? = nil) async throws -> Routed<[LsEntry]> {
        try await run("ls", cid: cid, backend: backend) { try await $0.ls(cid) }
    }
    public func dagExport(_ cid: String, backend: String? = nil) async throws -> Routed<AsyncThrowingStream<Data, any Error>> {
        try await run("dag_export", cid: cid, backend: backend) { try await $0.dagExport(cid) }
    }
    public func dagImport(_ car: Data, backend: String? = nil) async throws -> Routed<[String]> {
        try await run("dag_import", backend: backend) { try await $0.dagImport(car) }
    }
}

extension Data {
    /// Collects a chunk stream into one buffer (for callers that want the bytes at once).
    public static func collect(_ stream: AsyncThrowingStream<Data, any Error>) async throws -> Data {
        var out = Data()
        for try await chunk in stream { out.append(chunk) }
        return out
    }
}
