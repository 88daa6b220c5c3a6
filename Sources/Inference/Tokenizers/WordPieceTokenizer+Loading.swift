import Foundation

extension WordPieceTokenizer {
    /// From a Hugging Face `tokenizer.json` whose model is WordPiece (normaliser, special tokens and
    /// the [CLS]/[SEP] template taken from the file).
    public static func load(tokenizerJSON url: URL) throws -> WordPieceTokenizer {
        let root = try readJSONObject(url)
        let path = url.path
        guard let model = root["model"] as? [String: Any] else { throw TokenizerLoadError.missingVocabulary(path: path) }
        let type = (model["type"] as? String) ?? "unknown"
        guard type == "WordPiece" else { throw TokenizerLoadError.notWordPiece(path: path, type: type) }
        guard let vocab = model["vocab"] as? [String: Any], !vocab.isEmpty else {
            throw TokenizerLoadError.missingVocabulary(path: path)
        }
        var tokens = [String?](repeating: nil, count: vocab.count)
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0 else { continue }
            if id >= tokens.count { tokens.append(contentsOf: [String?](repeating: nil, count: id - tokens.count + 1)) }
            tokens[id] = token
        }
        // Gaps in the id space would shift every later id; fill them with tokens no text can produce.
        let vocabulary = tokens.enumerated().map { $0.element ?? "\u{0}<unused \($0.offset)>" }

        var normalizer = BertNormalizer()
        if let n = root["normalizer"] as? [String: Any], (n["type"] as? String) == "BertNormalizer" {
            normalizer = BertNormalizer(cleanText: (n["clean_text"] as? Bool) ?? true,
                                        handleChineseChars: (n["handle_chinese_chars"] as? Bool) ?? true,
                                        stripAccents: n["strip_accents"] as? Bool,
                                        lowercase: (n["lowercase"] as? Bool) ?? true)
        }
        var special: [String] = []
        for case let added as [String: Any] in (root["added_tokens"] as? [Any]) ?? [] {
            if let content = added["content"] as? String { special.append(content) }
        }
        var cls = "[CLS]", sep = "[SEP]"
        if let post = root["post_processor"] as? [String: Any], let single = post["single"] as? [Any] {
            let specials = single.compactMap { (($0 as? [String: Any])?["SpecialToken"] as? [String: Any])?["id"] as? String }
            if specials.count == 2 { cls = specials[0]; sep = specials[1] }
        }
        let padding = root["padding"] as? [String: Any]
        let truncation = root["truncation"] as? [String: Any]
        return try WordPieceTokenizer(
            vocabulary: vocabulary, normalizer: normalizer,
            unknownToken: (model["unk_token"] as? String) ?? "[UNK]",
            continuingPrefix: (model["continuing_subword_prefix"] as? String) ?? "##",
            maxInputCharsPerWord: (model["max_input_chars_per_word"] as? Int) ?? 100,
            specialTokens: special.isEmpty ? ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] : special,
            clsToken: cls, sepToken: sep, padToken: (padding?["pad_token"] as? String) ?? "[PAD]",
            fileTruncation: truncation?["max_length"] as? Int, source: path)
    }

    /// From BERT's `vocab.txt` (one token a line, id = line number), with `do_lower_case` from
    /// `tokenizer_config.json` beside it when present.
    public static func load(vocabTXT url: URL) throws -> WordPieceTokenizer {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TokenizerLoadError.missingVocabulary(path: url.path)
        }
        // Split on bytes: "\r\n" is one Swift Character, and tokens must keep their exact scalars.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        var lowercase = true
        let config = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        if let object = try? readJSONObject(config), let flag = object["do_lower_case"] as? Bool { lowercase = flag }
        return try WordPieceTokenizer(vocabulary: lines, normalizer: BertNormalizer(lowercase: lowercase), source: url.path)
    }

    /// `tokenizer.json` in `folder` when there is one, else `vocab.txt`.
    public static func load(folder: URL) throws -> WordPieceTokenizer {
        let json = folder.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) { return try load(tokenizerJSON: json) }
        let vocab = folder.appendingPathComponent("vocab.txt")
        if FileManager.default.fileExists(atPath: vocab.path) { return try load(vocabTXT: vocab) }
        throw TokenizerLoadError.missingVocabulary(path: folder.path)
    }
}
