import Foundation

/// The output widths a Matryoshka-trained embedding model may be shortened to, read from its
/// Hugging Face `config.json` the way vLLM reads it: `"matryoshka_dimensions": [..]` allows only
/// those widths, `"is_matryoshka": true` allows any width from 1 to the model's own.
/// A model without either was not trained for shortening: a prefix of its vector is not a good
/// embedding, so callers must refuse `dimensions` other than its width.
public enum MatryoshkaDimensions: Sendable, Equatable {
    case any
    case only([Int])

    /// nil when the config declares no Matryoshka support. A declared list must hold widths in
    /// 1...width, or the folder is refused at load rather than promising widths it cannot give.
    public static func read(config object: [String: Any], width: Int, path: String) throws -> MatryoshkaDimensions? {
        if let raw = object["matryoshka_dimensions"], !(raw is NSNull) {
            guard let list = raw as? [Any], case let dims = list.compactMap(integer), dims.count == list.count else {
                throw ModelConfigError.invalidValue(path: path, field: "matryoshka_dimensions", reason: "is not a list of integers")
            }
            if let bad = dims.first(where: { !(1...width).contains($0) }) {
                throw ModelConfigError.invalidValue(path: path, field: "matryoshka_dimensions",
                                                    reason: "holds \(bad), outside the model's 1...\(width)")
            }
            // An empty list is vLLM's "not Matryoshka" (it tests the list's truthiness).
            if !dims.isEmpty { return .only(Array(Set(dims)).sorted()) }
        }
        return (object["is_matryoshka"] as? Bool) == true ? .any : nil
    }

    public static func read(folder: URL, width: Int) throws -> MatryoshkaDimensions? {
        let url = folder.appendingPathComponent("config.json")
        return try read(config: readJSONObject(url), width: width, path: url.path)
    }

    /// Whether a vector of `width` components may be cut to `d`.
    public func allows(_ d: Int, width: Int) -> Bool {
        switch self {
        case .any: return (1...width).contains(d)
        case .only(let dims): return dims.contains(d)
        }
    }

    private static func integer(_ v: Any) -> Int? {
        if let i = v as? Int { return i }
        if let d = v as? Double, d.rounded() == d, abs(d) < 1e9 { return Int(d) }
        return nil
    }
}

extension EmbeddingModel {
    /// A vector of this model's cut to its first `d` components. When the model normalises its
    /// output the prefix is normalised again, so it stays a unit vector (vLLM normalises after
    /// truncating). The caller checks `d` against `matryoshkaDimensions` first.
    public func shortened(_ v: [Float], to d: Int) -> [Float] {
        guard d < v.count else { return v }
        var out = Array(v.prefix(d))
        guard normalize else { return out }
        var norm: Float = 0
        for x in out { norm += x * x }
        let inv = 1 / Swift.max(norm.squareRoot(), 1e-12)
        for i in out.indices { out[i] *= inv }
        return out
    }
}
