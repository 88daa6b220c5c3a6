import Foundation
import Inference
import Logging

extension ModelServer {
    /// The server as `ipfs-accelerate serve` runs it: settings from the environment, keys in
    /// `keys` (serve: the hub's database) or else the data directory's `hub.sqlite`, models
    /// resolved by `resolve` (paths, `org/name`, `ipfs://CID`) and loaded by the engine.
    public static func make(environment: [String: String], dataDir: URL, keys: KeyStore? = nil,
                            load: @escaping @Sendable (URL, String) throws -> LoadedModel = EngineLoader.load,
                            hubRepo: (@Sendable (String) async throws -> URL?)? = nil,
                            fetchCID: (@Sendable (String, URL) async throws -> Void)? = nil,
                            storeByCID: (@Sendable (URL) async throws -> String)? = nil,
                            availableModels: (@Sendable () async -> [String])? = nil,
                            metrics: ServerMetrics = ServerMetrics(),
                            rateLimiter: (any RateLimiting)? = nil,
                            logger: Logger = Logger(label: "ipfs-accelerate.modelserver")) throws -> ModelServer {
        let config = try ModelServerConfig.fromEnvironment(environment)
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let storage = IPFSModelStorage(dataDir: dataDir, metrics: metrics)
        // Paths the operator named (model folders, preloaded models) may be loaded; others not.
        let preloadedPaths = config.preloadModels.filter { $0.hasPrefix("/") }.map { URL(fileURLWithPath: $0) }
        let allowed = config.modelDirs.map { URL(fileURLWithPath: $0) } + preloadedPaths
        let source = ModelSource(resolve: ModelSource.localResolver(dataDir: dataDir, allowedRoots: allowed, hubRepo: hubRepo,
                                                                    fetchCID: fetchCID ?? { try await storage.fetch($0, to: $1) }),
                                 load: load, storeByCID: storeByCID ?? { try await storage.store($0) },
                                 availableModels: availableModels ?? { EngineLoader.supportedModels(under: dataDir.appendingPathComponent("models")) })
        return ModelServer(config: config, source: source,
                           keys: try keys ?? KeyStore(path: dataDir.appendingPathComponent("hub.sqlite").path),
                           metrics: metrics, rateLimiter: rateLimiter, logger: logger)
    }
}

/// Picks the engine's implementation from the files: a `.gguf` file is a Llama-family generator,
/// a folder with `config.json` goes to the engine's folder loader.
public enum EngineLoader {
    /// Architectures (config.json `model_type`) the engine implements.
    public static let supportedArchitectures: Set<String> = ["bert", "llama"]

    /// `org/name` folders under `root` whose files the engine can load: a config.json with a
    /// supported `model_type`, or a GGUF file.
    public static func supportedModels(under root: URL) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for org in ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).sorted() where org != "ipfs" && !org.hasPrefix(".") {
            for name in ((try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(org).path)) ?? []).sorted() where !name.hasPrefix(".") {
                let dir = root.appendingPathComponent(org).appendingPathComponent(name)
                let files = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
                if files.contains(where: { $0.hasSuffix(".gguf") }) { out.append("\(org)/\(name)"); continue }
                if let data = fm.contents(atPath: dir.appendingPathComponent("config.json").path),
                   let type = (try? JSONDecoder().decode(ModelTypeProbe.self, from: data))?.modelType, supportedArchitectures.contains(type) {
                    out.append("\(org)/\(name)")
                }
            }
        }
        return out
    }

    public static let load: @Sendable (URL, String) throws -> LoadedModel = { url, id in
        if let gguf = ggufFile(url) { return .generation(try LlamaModel.load(gguf: gguf, id: id)) }
        return try ModelLoader.load(path: url, id: id)
    }

    /// The GGUF file `url` is, or the one a folder without config.json holds.
    static func ggufFile(_ url: URL) -> URL? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else { return nil }
        if !isDir.boolValue { return url.pathExtension.lowercased() == "gguf" ? url : nil }
        if fm.fileExists(atPath: url.appendingPathComponent("config.json").path) { return nil }
        let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().first { $0.lowercased().hasSuffix(".gguf") }.map { url.appendingPathComponent($0) }
    }
}

/// The one field of a model's config.json that says whether this server can run it.
private struct ModelTypeProbe: Decodable {
    var modelType: String?
    enum CodingKeys: String, CodingKey { case modelType = "model_type" }
}
