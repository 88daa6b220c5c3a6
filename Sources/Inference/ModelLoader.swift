import Foundation

/// Why a path could not be loaded as a model.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case notAModel(path: String)
    case unknownArchitecture(path: String, found: String)
    case unsupported(path: String, what: String)
    case missingWeights(path: String, expected: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path) does not exist"
        case .notAModel(let path):
            return "\(path) is not a model: expected a folder with config.json (BERT, safetensors) or a .gguf file"
        case .unknownArchitecture(let path, let found):
            let gguf = DecoderArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
            let folders = HFCausalLMFolder.architectures.keys.sorted().joined(separator: ", ")
            return "\(path): architecture \(found) is not supported (supported: BERT encoders; \(gguf) decoders in GGUF; \(folders) in safetensors)"
        case .unsupported(let path, let what):
            return "\(path): \(what) is not supported"
        case .missingWeights(let path, let expected):
            return "\(path) has no weights: expected \(expected)"
        }
    }
}

/// Turns a path into a ready model: a folder with config.json (BERT embeddings from safetensors),
/// or a GGUF file / a folder holding one (Llama text generation).
public enum ModelLoader {
    public static func load(path: URL, id: String? = nil) throws -> LoadedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw ModelLoadError.notFound(path: path.path)
        }
        if !isDirectory.boolValue {
            guard path.pathExtension.lowercased() == "gguf" else { throw ModelLoadError.notAModel(path: path.path) }
            return try loadGGUF(path, id: id)
        }
        var folder = path
        // A pip-installed model package keeps its files one level down, in model/.
        let nested = folder.appendingPathComponent("model")
        if !exists(folder.appendingPathComponent("config.json")), exists(nested.appendingPathComponent("config.json")) {
            folder = nested
        }
        if exists(folder.appendingPathComponent("config.json")) {
            let config = try HFConfig.load(url: folder.appendingPathComponent("config.json"))
            if isBERT(config) {
                return .embedding(try BertEmbeddingModel.load(folder: folder, id: id ?? path.lastPathComponent))
            }
            if HFCausalLMFolder.isCausalLM(config) && exists(folder.appendingPathComponent("tokenizer.json")) {
                return .generation(try LlamaModel(gguf: HFCausalLMFolder.assemble(folder: folder), id: id ?? path.lastPathComponent))
            }
            if ggufFile(in: folder) == nil {
                let name = config.architectures.first ?? config.modelType ?? "(none given)"
                throw ModelLoadError.unknownArchitecture(path: folder.path, found: name)
            }
        }
        if let gguf = ggufFile(in: folder) ?? ggufFile(in: path) {
            return try loadGGUF(gguf, id: id ?? path.lastPathComponent)
        }
        throw ModelLoadError.notAModel(path: path.path)
    }

    // MARK: GGUF branch — Llama generation.
    private static func loadGGUF(_ file: URL, id: String?) throws -> LoadedModel {
        .generation(try LlamaModel.load(gguf: file, id: id))
    }

    static func isBERT(_ config: HFConfig) -> Bool {
        config.modelType == "bert" || config.architectures.contains { $0.hasPrefix("Bert") }
    }

    private static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    private static func ggufFile(in folder: URL) -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().first { $0.lowercased().hasSuffix(".gguf") }.map { folder.appendingPathComponent($0) }
    }
}
