import Foundation

/// Why a model folder's JSON configuration could not be used.
public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case invalidJSON(path: String, reason: String)
    case missingField(path: String, field: String)
    case invalidValue(path: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path) is missing; a model folder needs it"
        case .invalidJSON(let path, let reason): return "\(path) is not valid JSON: \(reason)"
        case .missingField(let path, let field): return "\(path) has no '\(field)'"
        case .invalidValue(let path, let field, let reason): return "\(path): '\(field)' \(reason)"
        }
    }
}

/// The parts of a Hugging Face `config.json` the engine reads. Unknown keys are ignored;
/// fields an architecture needs are checked by that architecture (`require`).
public struct HFConfig: Sendable, Equatable {
    public var path: String
    public var modelType: String?
    public var architectures: [String]
    public var hiddenSize: Int?
    public var numHiddenLayers: Int?
    public var numAttentionHeads: Int?
    public var numKeyValueHeads: Int?
    public var intermediateSize: Int?
    public var maxPositionEmbeddings: Int?
    public var typeVocabSize: Int?
    public var vocabSize: Int?
    public var layerNormEps: Double?
    public var rmsNormEps: Double?
    public var hiddenAct: String?
    public var positionEmbeddingType: String?
    public var padTokenId: Int?
    public var ropeTheta: Double?
    public var tieWordEmbeddings: Bool?

    public static func load(url: URL) throws -> HFConfig {
        let object = try readJSONObject(url)
        let path = url.path
        func int(_ key: String) throws -> Int? {
            guard let v = object[key], !(v is NSNull) else { return nil }
            if let i = v as? Int { return i }
            if let d = v as? Double, d.rounded() == d { return Int(d) }
            throw ModelConfigError.invalidValue(path: path, field: key, reason: "is not an integer")
        }
        func double(_ key: String) throws -> Double? {
            guard let v = object[key], !(v is NSNull) else { return nil }
            if let d = v as? Double { return d }
            if let i = v as? Int { return Double(i) }
            throw ModelConfigError.invalidValue(path: path, field: key, reason: "is not a number")
        }
        func string(_ key: String) throws -> String? {
            guard let v = object[key], !(v is NSNull) else { return nil }
            guard let s = v as? String else {
                throw ModelConfigError.invalidValue(path: path, field: key, reason: "is not a string")
            }
            return s
        }
        return HFConfig(
            path: path,
            modelType: try string("model_type"),
            architectures: (object["architectures"] as? [String]) ?? [],
            hiddenSize: try int("hidden_size"),
            numHiddenLayers: try int("num_hidden_layers"),
            numAttentionHeads: try int("num_attention_heads"),
            numKeyValueHeads: try int("num_key_value_heads"),
            intermediateSize: try int("intermediate_size"),
            maxPositionEmbeddings: try int("max_position_embeddings"),
            typeVocabSize: try int("type_vocab_size"),
            vocabSize: try int("vocab_size"),
            layerNormEps: try double("layer_norm_eps"),
            rmsNormEps: try double("rms_norm_eps"),
            hiddenAct: try string("hidden_act"),
            positionEmbeddingType: try string("position_embedding_type"),
            padTokenId: try int("pad_token_id"),
            ropeTheta: try double("rope_theta"),
            tieWordEmbeddings: object["tie_word_embeddings"] as? Bool)
    }

    /// A field an architecture cannot do without, checked to be positive.
    public func require(_ value: Int?, _ field: String) throws -> Int {
        guard let value else { throw ModelConfigError.missingField(path: path, field: field) }
        guard value > 0 else { throw ModelConfigError.invalidValue(path: path, field: field, reason: "must be positive, is \(value)") }
        return value
    }
}

/// Reads a JSON file whose top level is an object.
func readJSONObject(_ url: URL) throws -> [String: Any] {
    guard let any = try readJSON(url) as? [String: Any] else {
        throw ModelConfigError.invalidJSON(path: url.path, reason: "the top level is not an object")
    }
    return any
}

func readJSON(_ url: URL) throws -> Any {
    guard FileManager.default.fileExists(atPath: url.path) else { throw ModelConfigError.missingFile(path: url.path) }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ModelConfigError.invalidJSON(path: url.path, reason: error.localizedDescription)
    }
    do { return try JSONSerialization.jsonObject(with: data) } catch {
        throw ModelConfigError.invalidJSON(path: url.path, reason: error.localizedDescription)
    }
}
