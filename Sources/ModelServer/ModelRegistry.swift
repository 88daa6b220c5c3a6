import Foundation
import Inference
import Multiformats
import Primitives

public enum ModelServerError: Error, CustomStringConvertible, Sendable {
    /// The name resolves to nothing: no such folder, hub repository or CID.
    case modelNotFound(String)
    /// A path outside the folders models may be loaded from (HF_SERVER_MODEL_DIRS, the data folder's
    /// models, the preloaded paths): an HTTP caller must not make the server open arbitrary files.
    case pathNotAllowed(String)
    /// The files were there but the engine could not load them.
    case loadFailed(String)
    case engine(String)

    public var description: String {
        switch self {
        case .modelNotFound(let m): return m
        case .pathNotAllowed(let m): return m
        case .loadFailed(let m): return "model load failed: \(m)"
        case .engine(let m): return "inference failed: \(m)"
        }
    }
}

/// How the executable connects the server to the rest of the system: where a model name's files
/// are, how the engine loads them, and (optionally) how a folder is stored by CID.
public struct ModelSource: Sendable {
    /// A model name (`/path`, `org/name`, `ipfs://CID`) to a local file or folder; throws
    /// `ModelServerError.modelNotFound` when there is none.
    public var resolve: @Sendable (String) async throws -> URL
    /// Loads the files with the engine (called on a compute thread).
    public var load: @Sendable (URL, String) throws -> LoadedModel
    /// Stores a folder by content and returns its CID (ENABLE_IPFS_MODEL_STORAGE).
    public var storeByCID: (@Sendable (URL) async throws -> String)?
    /// Models the hub holds whose architecture the engine supports.
    public var availableModels: @Sendable () async -> [String]

    public init(resolve: @escaping @Sendable (String) async throws -> URL,
                load: @escaping @Sendable (URL, String) throws -> LoadedModel,
                storeByCID: (@Sendable (URL) async throws -> String)? = nil,
                availableModels: @escaping @Sendable () async -> [String] = { [] }) {
        self.resolve = resolve
        self.load = load
        self.storeByCID = storeByCID
        self.availableModels = availableModels
    }

    /// Resolves plain paths, `org/name` under `<dataDir>/models`, and `ipfs://CID` through `fetchCID`
    /// (which writes the CID's folder to the given URL) into `<dataDir>/models/ipfs/<cid>`.
    ///
    /// `allowedRoots`: folders whose files (after resolving symbolic links) a path may name; anything
    /// else is `pathNotAllowed`. `<dataDir>/models` is always among them.
    public static func localResolver(dataDir: URL, allowedRoots: [URL] = [], hubRepo: (@Sendable (String) async throws -> URL?)? = nil,
                                     fetchCID: (@Sendable (String, URL) async throws -> Void)? = nil) -> @Sendable (String) async throws -> URL {
        let roots = ([dataDir.appendingPathComponent("models")] + allowedRoots).map { $0.resolvingSymlinksInPath().standardizedFileURL.path }
        return { name in
            let fm = FileManager.default
            if name.hasPrefix("ipfs://") {
                let cid = String(name.dropFirst("ipfs://".count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                // The CID parser, not a character class: the string becomes a folder name below.
                guard (try? CID(cid)) != nil, !cid.contains("/"), !cid.contains(".") else {
                    throw ModelServerError.modelNotFound("'\(name)' is not an ipfs://CID address")
                }
                let target = dataDir.appendingPathComponent("models/ipfs/\(cid)")
                if fm.fileExists(atPath: target.path) { return target }
                guard let fetchCID else { throw ModelServerError.modelNotFound("no IPFS store is configured to fetch \(cid)") }
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                let temp = target.deletingLastPathComponent().appendingPathComponent(".\(cid).\(UUID().uuidString)")
                do {
                    try await fetchCID(cid, temp)
                    try fm.moveItem(at: temp, to: target)
                } catch {
                    try? fm.removeItem(at: temp)
                    if fm.fileExists(atPath: target.path) { return target }
                    throw ModelServerError.modelNotFound("cannot fetch \(cid): \(error)")
                }
                return target
            }
            let expanded = (name as NSString).expandingTildeInPath
            if expanded.hasPrefix("/") || expanded.hasPrefix(".") {
                let real = URL(fileURLWithPath: expanded).resolvingSymlinksInPath().standardizedFileURL.path
                guard roots.contains(where: { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
                    throw ModelServerError.pathNotAllowed("'\(name)' is outside the model folders (HF_SERVER_MODEL_DIRS: \(roots.joined(separator: ":"))); name a model by org/name, ipfs://CID or a path inside them")
                }
                guard fm.fileExists(atPath: real) else { throw ModelServerError.modelNotFound("no file or folder at \(expanded)") }
                return URL(fileURLWithPath: real)
            }
            if (try? RelativePath.segments(name, emptySegments: .skip))?.count == 2 {
                let local = dataDir.appendingPathComponent("models").appendingPathComponent(name)
                if fm.fileExists(atPath: local.path) { return local }
                if let hubRepo, let url = try await hubRepo(name) { return url }
            }
            throw ModelServerError.modelNotFound("not a path, a known hub repository (org/name) or ipfs://CID")
        }
    }
}

/// A loaded model with its own compute queue and batchers.
public final class ModelHandle: Sendable {
    public let name: String
    public let model: LoadedModel
    public let location: URL
    public let cid: String?
    public let memoryBytes: Int
    public let loadSeconds: Double
    public let warmupSeconds: Double
    public let loadedAt: Date
    let embedder: EmbeddingBatcher?
    let generator: GenerationBatcher?

    init(name: String, model: LoadedModel, location: URL, cid: String?, loadSeconds: Double, warmupSeconds: Double,
         queue: DispatchQueue, batching: BatchingOptions, observe: @escaping BatchObserver) {
        self.name = name
        self.model = model
        self.location = location
        self.cid = cid
        self.loadSeconds = loadSeconds
        self.warmupSeconds = warmupSeconds
        self.loadedAt = Date()
        switch model {
        case .embedding(let m):
            memoryBytes = m.memoryBytes
            embedder = EmbeddingBatcher(model: m, queue: queue, options: batching, observe: observe)
            generator = nil
        case .generation(let m):
            memoryBytes = m.memoryBytes
            embedder = nil
            generator = GenerationBatcher(model: m, queue: queue, options: batching, observe: observe)
        }
    }

    public var kind: String {
        if case .embedding = model { return "embedding" }
        return "generation"
    }
}

/// Loaded models, least recently used evicted beyond `maxLoaded` models or `maxMemoryBytes`.
/// Loads of one name are shared by everyone asking for it at once.
actor ModelRegistry {
    struct Stats: Sendable { var loads = 0, hits = 0, misses = 0, evictions = 0, failures = 0 }

    private var entries: [String: (handle: ModelHandle, used: UInt64)] = [:]
    private let loads = SingleFlight<String, ModelHandle>()
    private var tick: UInt64 = 0
    private(set) var stats = Stats()

    let source: ModelSource
    let maxLoaded: Int
    let maxMemoryBytes: Int
    let warmup: Bool
    let storeByCID: Bool
    let batching: BatchingOptions
    let observeBatch: BatchObserver
    let onLoaded: @Sendable (ModelHandle) -> Void
    let onEvicted: @Sendable (ModelHandle) -> Void

    init(source: ModelSource, maxLoaded: Int, maxMemoryBytes: Int, warmup: Bool, storeByCID: Bool,
         batching: BatchingOptions, observeBatch: @escaping BatchObserver,
         onLoaded: @escaping @Sendable (ModelHandle) -> Void, onEvicted: @escaping @Sendable (ModelHandle) -> Void) {
        self.source = source
        self.maxLoaded = maxLoaded
        self.maxMemoryBytes = maxMemoryBytes
        self.warmup = warmup
        self.storeByCID = storeByCID
        self.batching = batching
        self.observeBatch = observeBatch
        self.onLoaded = onLoaded
        self.onEvicted = onEvicted
    }

    /// The loaded model `name`, loading it first when needed; `wasLoaded` tells a cache hit.
    func get(_ name: String) async throws -> (handle: ModelHandle, wasLoaded: Bool) {
        tick += 1
        if let e = entries[name] {
            entries[name]?.used = tick
            stats.hits += 1
            return (e.handle, true)
        }
        // A model stored by CID and asked for by that CID is the same model.
        if name.hasPrefix("ipfs://"), let match = entries.first(where: { "ipfs://\($0.value.handle.cid ?? "")" == name }) {
            entries[match.key]?.used = tick
            stats.hits += 1
            return (match.value.handle, true)
        }
        stats.misses += 1
        // The bookkeeping runs inside the shared load, so it happens once however many callers wait.
        let handle = try await loads.run(name) {
            do {
                let handle = try await self.loadNew(name)
                await self.admit(name, handle)
                return handle
            } catch {
                await self.countFailure()
                throw error
            }
        }
        return (handle, false)
    }

    private func admit(_ name: String, _ handle: ModelHandle) {
        tick += 1
        entries[name] = (handle, tick)
        stats.loads += 1
        onLoaded(handle)
        evictBeyondBounds(keeping: name)
    }

    private func countFailure() { stats.failures += 1 }

    private func loadNew(_ name: String) async throws -> ModelHandle {
        let url = try await source.resolve(name)
        let queue = DispatchQueue(label: "ipfs-accelerate.model.\(name)", qos: .userInitiated)
        let load = source.load
        let warm = warmup
        let (model, loadSeconds, warmSeconds): (LoadedModel, Double, Double) = try await runBlocking(on: queue) {
            let t0 = systemMonotonicClock()
            let model: LoadedModel
            do { model = try load(url, name) } catch { throw ModelServerError.loadFailed("\(error)") }
            let t1 = systemMonotonicClock()
            if warm { try Self.warmUp(model) }
            return (model, t1 - t0, systemMonotonicClock() - t1)
        }
        var cid: String? = nil
        if storeByCID, let store = source.storeByCID {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) { cid = try? await store(url) }
        }
        if cid == nil, name.hasPrefix("ipfs://") { cid = String(name.dropFirst(7)) }
        return ModelHandle(name: name, model: model, location: url, cid: cid, loadSeconds: loadSeconds,
                           warmupSeconds: warmSeconds, queue: queue, batching: batching, observe: observeBatch)
    }

    /// One small forward pass so the first caller does not pay for page faults and lazy setup.
    static func warmUp(_ model: LoadedModel) throws {
        switch model {
        case .embedding(let m):
            _ = try m.embed(["warm-up"])
        case .generation(let m):
            var p = GenerationParameters()
            p.maxTokens = 1
            p.temperature = 0
            let prompt = m.tokenizer.encode("Hello", addSpecialTokens: true)
            _ = try m.generate(prompt: prompt, parameters: p) { _ in true }
        }
    }

    private func evictBeyondBounds(keeping: String) {
        while entries.count > 1 {
            let memory = entries.values.reduce(0) { $0 + $1.handle.memoryBytes }
            guard entries.count > maxLoaded || (maxMemoryBytes > 0 && memory > maxMemoryBytes) else { return }
            guard let victim = entries.filter({ $0.key != keeping }).min(by: { $0.value.used < $1.value.used }) else { return }
            entries[victim.key] = nil
            stats.evictions += 1
            onEvicted(victim.value.handle)
        }
    }

    func unload(_ name: String) -> ModelHandle? {
        guard let e = entries.removeValue(forKey: name) else { return nil }
        onEvicted(e.handle)
        return e.handle
    }

    func loaded() -> [ModelHandle] {
        entries.values.sorted { $0.used > $1.used }.map(\.handle)
    }

    func isLoaded(_ name: String) -> Bool { entries[name] != nil }
}
