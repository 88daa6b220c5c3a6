import Foundation

/// How token vectors become one sentence vector.
public enum PoolingMode: String, Sendable, Equatable {
    case mean, cls, max
}

/// The sentence-transformers pipeline a folder describes (`modules.json`, the pooling module's
/// config, `sentence_bert_config.json`). A plain Hugging Face BERT folder without them gets
/// mean pooling and L2 normalisation, the usual recipe for sentence embeddings.
public struct SentenceTransformersConfig: Sendable, Equatable {
    public var pooling: PoolingMode = .mean
    public var normalize = true
    public var maxSequenceLength: Int?

    public static func load(folder: URL) throws -> SentenceTransformersConfig {
        var result = SentenceTransformersConfig()
        let modulesURL = folder.appendingPathComponent("modules.json")
        if FileManager.default.fileExists(atPath: modulesURL.path) {
            guard let modules = try readJSON(modulesURL) as? [[String: Any]] else {
                throw ModelConfigError.invalidJSON(path: modulesURL.path, reason: "expected a list of modules")
            }
            result.normalize = false
            for module in modules {
                let type = (module["type"] as? String) ?? ""
                let path = (module["path"] as? String) ?? ""
                switch type.split(separator: ".").last.map(String.init) ?? type {
                case "Transformer":
                    continue
                case "Pooling":
                    result.pooling = try poolingMode(folder.appendingPathComponent(path).appendingPathComponent("config.json"))
                case "Normalize":
                    result.normalize = true
                default:
                    throw ModelLoadError.unsupported(path: modulesURL.path, what: "sentence-transformers module '\(type)'")
                }
            }
        }
        let bertConfig = folder.appendingPathComponent("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: bertConfig.path) {
            result.maxSequenceLength = try readJSONObject(bertConfig)["max_seq_length"] as? Int
        }
        return result
    }

    private static func poolingMode(_ url: URL) throws -> PoolingMode {
        guard FileManager.default.fileExists(atPath: url.path) else { return .mean }
        let object = try readJSONObject(url)
        let flags: [(String, PoolingMode?)] = [
            ("pooling_mode_mean_tokens", .mean), ("pooling_mode_cls_token", .cls), ("pooling_mode_max_tokens", .max),
            ("pooling_mode_mean_sqrt_len_tokens", nil), ("pooling_mode_weightedmean_tokens", nil),
            ("pooling_mode_lasttoken", nil),
        ]
        let enabled = flags.filter { (object[$0.0] as? Bool) == true }
        guard enabled.count == 1, let mode = enabled[0].1 else {
            throw ModelLoadError.unsupported(path: url.path, what: "pooling \(enabled.map(\.0)) (one of mean, cls or max tokens)")
        }
        return mode
    }
}
