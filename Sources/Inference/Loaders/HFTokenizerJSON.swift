import Foundation

/// A Hugging Face `tokenizer.json` (byte-level BPE) and `tokenizer_config.json`, turned into the
/// `tokenizer.*` metadata GGUF conversion writes, so one tokenizer implementation serves both.
package enum HFTokenizerJSON {
    /// The splitting patterns of the pre-tokenizers this engine implements, as published.
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Token ids must lie below this (the largest published vocabularies hold about 260 000):
    /// gaps become `[unusedN]` tokens, so an id of 10^20 asked for that many (FuzzTokenizerJSON).
    package static let maxVocabulary = 1 << 21

    /// A token id as JSON gives it: a whole number in 0..<maxVocabulary, else nil.
    static func tokenID(_ n: NSNumber) -> Int? {
        let d = n.doubleValue
        guard d >= 0, d < Double(maxVocabulary), d.rounded() == d else { return nil }
        return Int(d)
    }

    package static func addMetadata(folder: URL, to md: inout [String: GGUFValue]) throws {
        let url = folder.appendingPathComponent("tokenizer.json")
        func fail(_ what: String) -> ModelLoadError { .unsupported(path: url.path, what: what) }
        let tj = try HFCausalLMFolder.json(url)
        guard let model = tj["model"] as? [String: Any], model["type"] as? String == "BPE",
              let vocab = model["vocab"] as? [String: NSNumber] else { throw fail("a tokenizer that is not byte-level BPE") }
        let merges: [String] = try (model["merges"] as? [Any] ?? []).map { m in
            if let s = m as? String { return s }
            if let pair = m as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            throw fail("a merge entry \(m)")
        }
        var byId: [Int: (String, Int)] = [:]
        for (t, n) in vocab {
            guard let id = tokenID(n) else { throw fail("token '\(t)' with id \(n) (ids must be whole numbers below \(maxVocabulary))") }
            byId[id] = (t, 1)
        }
        for a in tj["added_tokens"] as? [[String: Any]] ?? [] {
            guard let n = a["id"] as? NSNumber, let content = a["content"] as? String else { continue }
            guard let id = tokenID(n) else { throw fail("added token '\(content)' with id \(n) (ids must be whole numbers below \(maxVocabulary))") }
            byId[id] = (content, (a["special"] as? Bool ?? false) ? 3 : 4)
        }
        let count = (byId.keys.max() ?? -1) + 1
        guard count > 0 else { throw fail("an empty vocabulary") }
        let tokens = (0..<count).map { byId[$0] ?? ("[unused\($0)]", 5) }
        md["tokenizer.ggml.model"] = .string("gpt2")
        md["tokenizer.ggml.tokens"] = .array(tokens.map { .string($0.0) })
        md["tokenizer.ggml.token_type"] = .array(tokens.map { .int(Int64($0.1)) })
        md["tokenizer.ggml.merges"] = .array(merges.map { .string($0) })
        md["tokenizer.ggml.pre"] = .string(try preTokenizer(tj["pre_tokenizer"], fail))
        if try composesToNFC(tj["normalizer"], fail) { md[BPETokenizer.nfcMetadataKey] = .bool(true) }

        let cfgURL = folder.appendingPathComponent("tokenizer_config.json")
        let cfg = FileManager.default.fileExists(atPath: cfgURL.path) ? try HFCausalLMFolder.json(cfgURL) : [:]
        let index = Dictionary(tokens.enumerated().map { ($0.element.0, $0.offset) }, uniquingKeysWith: { a, _ in a })
        func special(_ key: String) -> Int? {
            let v = cfg[key]
            let text = (v as? String) ?? ((v as? [String: Any])?["content"] as? String)
            return text.flatMap { index[$0] }
        }
        if let b = special("bos_token") { md["tokenizer.ggml.bos_token_id"] = .uint(UInt64(b)) }
        if let e = special("eos_token") { md["tokenizer.ggml.eos_token_id"] = .uint(UInt64(e)) }
        // BOS is added by tokenizer_config's flag or by a post-processor template that starts with it.
        let template = ((tj["post_processor"] as? [String: Any])?["single"] as? [[String: Any]])?.first
        let templateBOS = (template?["SpecialToken"] as? [String: Any])?["id"] as? String
        md["tokenizer.ggml.add_bos_token"] = .bool(cfg["add_bos_token"] as? Bool ?? (templateBOS != nil && templateBOS == tokens[safe: special("bos_token")]?.0))
        if let t = cfg["chat_template"] as? String {
            md["tokenizer.chat_template"] = .string(t)
        } else if let named = cfg["chat_template"] as? [[String: Any]],
                  let t = named.first(where: { $0["name"] as? String == "default" })?["template"] as? String {
            md["tokenizer.chat_template"] = .string(t)
        }
    }

    /// Whether the normalizer is Unicode NFC (Qwen 2.x ships it); none at all is false, and any other
    /// normalizer is refused: skipping it would give ids `tokenizers` never gives.
    private static func composesToNFC(_ normalizer: Any?, _ fail: (String) -> ModelLoadError) throws -> Bool {
        guard let n = normalizer as? [String: Any] else { return false }
        let steps = n["type"] as? String == "Sequence" ? (n["normalizers"] as? [[String: Any]] ?? []) : [n]
        let types = steps.compactMap { $0["type"] as? String }
        if types.isEmpty { return false }
        guard types.allSatisfy({ $0 == "NFC" }) else { throw fail("normalizer \(types)") }
        return true
    }

    /// The GGUF pre-tokenizer name for a tokenizer.json pre_tokenizer; a splitter this engine
    /// does not implement is refused rather than approximated.
    private static func preTokenizer(_ pre: Any?, _ fail: (String) -> ModelLoadError) throws -> String {
        guard let pre = pre as? [String: Any] else { throw fail("a tokenizer without a pre-tokenizer") }
        let steps = pre["type"] as? String == "Sequence" ? (pre["pretokenizers"] as? [[String: Any]] ?? []) : [pre]
        let types = steps.compactMap { $0["type"] as? String }
        let patterns = steps.compactMap { ($0["pattern"] as? [String: Any])?["Regex"] as? String }
        if patterns == [llama3Pattern] { return "llama-bpe" }
        if patterns == [qwen2Pattern] { return "qwen2" }
        let byteLevelRegex = steps.contains { $0["type"] as? String == "ByteLevel" && ($0["use_regex"] as? Bool ?? true) }
        if patterns.isEmpty && byteLevelRegex {
            if types == ["ByteLevel"] { return "gpt2" }
            if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"] as? Bool == true { return "smollm" }
        }
        throw fail("pre-tokenizer \(types) \(patterns)")
    }
}

private extension Array {
    subscript(safe i: Int?) -> Element? { i.flatMap { indices.contains($0) ? self[$0] : nil } }
}
