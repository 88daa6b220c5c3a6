import Foundation
import Synchronization

public enum BPETokenizerError: Error, CustomStringConvertible {
    case unsupportedModel(String)
    case missing(String)
    case badMerge(String)
    case unsupportedPreTokenizer(String)

    public var description: String {
        switch self {
        case .unsupportedModel(let m): return "tokenizer model '\(m)' is not supported (byte-level BPE 'gpt2' and SentencePiece 'llama' are)"
        case .missing(let k): return "tokenizer metadata \(k) is missing"
        case .badMerge(let m): return "tokenizer merge '\(m)' is not two known tokens"
        case .unsupportedPreTokenizer(let p):
            return "tokenizer pre-tokenizer '\(p)' (tokenizer.ggml.pre) is not supported: its text splitting is unknown here, "
                + "so token ids would silently differ from the model's (supported: gpt2, smollm, starcoder, llama3/llama-bpe, qwen2, ...)"
        }
    }
}

/// Byte-level BPE (GPT-2 style) as llama.cpp runs it: special tokens are matched in the text
/// first, the rest is pre-tokenized into words, each word's UTF-8 bytes are mapped to the
/// GPT-2 byte alphabet and merged pairwise by merge rank.
public final class BPETokenizer: TextTokenizer, @unchecked Sendable {   // immutable after init, but for the lazy index
    public let tokens: [String]
    public let bosId: Int?
    public let eosId: Int?
    public let addBOS: Bool
    /// Tokens that end a generation (end of sequence, end of turn).
    public let endOfGenerationIds: Set<Int>
    let specialIds: Set<Int>
    let vocab: [String: Int]
    /// SentencePiece (GGUF `llama`) vocabularies: pieces merged by score, `▁` for spaces and
    /// `<0xXX>` byte fallback; nil for byte-level BPE.
    let sentencePiece: SentencePieceVocabulary?
    /// (left id, right id) -> (rank, merged id)
    private let merges: [UInt64: (rank: Int, id: Int)]
    private let specials: [(text: String, id: Int)]   // longest first
    private let pre: BPEPreTokenizer
    private let byteToChar: [Character]
    private let charToByte: [UInt32: UInt8]
    let byteTokenIds: [Int?]
    /// Compose text to Unicode NFC before splitting, as a tokenizer.json `NFC` normalizer does.
    /// GGUF files carry no normalizer (llama.cpp applies none), so only tokenizer.json sets it.
    let composesNFC: Bool
    /// Ordinary tokens by their bytes, for structured output's vocabulary masks: built on the
    /// first constrained request (it walks the whole vocabulary), not for every model loaded.
    public var vocabularyIndex: VocabularyIndex {
        vocabularyIndexCache.withLock { cached in
            if let cached { return cached }
            let index = VocabularyIndex(count: tokens.count, isSpecial: { self.specialIds.contains($0) }, bytesOf: { self.bytes(of: $0) })
            cached = index
            return index
        }
    }
    private let vocabularyIndexCache = Mutex<VocabularyIndex?>(nil)
    /// The metadata key under which a tokenizer.json folder passes its NFC normalizer on.
    public static let nfcMetadataKey = "ipfs_accelerate.tokenizer.normalizer_nfc"

    public var vocabularySize: Int { tokens.count }

    public init(tokens: [String], tokenTypes: [Int], merges mergeLines: [String], bos: Int?, eos: Int?,
                addBOS: Bool, preTokenizer: BPEPreTokenizer, sentencePiece: SentencePieceVocabulary? = nil,
                composesNFC: Bool = false) throws {
        self.tokens = tokens
        self.composesNFC = composesNFC
        self.sentencePiece = sentencePiece
        var v: [String: Int] = [:]
        v.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where v[t] == nil { v[t] = i }
        vocab = v
        var m: [UInt64: (Int, Int)] = [:]
        m.reserveCapacity(mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            guard let sp = line.firstIndex(of: " ") else { throw BPETokenizerError.badMerge(line) }
            let a = String(line[..<sp]), b = String(line[line.index(after: sp)...])
            guard let ia = v[a], let ib = v[b], let im = v[a + b] else { continue }
            let key = UInt64(ia) << 32 | UInt64(ib)
            if m[key] == nil { m[key] = (rank, im) }
        }
        merges = m
        // Control (3) and user-defined (4) tokens are matched verbatim in text.
        var sp: [(String, Int)] = []
        var special = Set<Int>()
        for (i, t) in tokens.enumerated() where i < tokenTypes.count && (tokenTypes[i] == 3 || tokenTypes[i] == 4) {
            if tokenTypes[i] == 3 { special.insert(i) }
            if !t.isEmpty { sp.append((t, i)) }
        }
        specials = sp.sorted { $0.0.utf8.count > $1.0.utf8.count }
        specialIds = special
        bosId = bos
        eosId = eos
        self.addBOS = addBOS
        var eog = Set<Int>()
        if let eos { eog.insert(eos) }
        for name in ["<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|eom_id|>"] {
            if let id = v[name], special.contains(id) { eog.insert(id) }
        }
        endOfGenerationIds = eog
        pre = preTokenizer
        let table = BPETokenizer.gpt2ByteTable()
        byteToChar = table
        var inv: [UInt32: UInt8] = [:]
        for (b, c) in table.enumerated() { inv[c.unicodeScalars.first!.value] = UInt8(b) }
        charToByte = inv
        byteTokenIds = sentencePiece == nil ? table.map { v[String($0)] } : (0..<256).map { v[String(format: "<0x%02X>", $0)] }
    }

    /// Builds the tokenizer from GGUF `tokenizer.ggml.*` metadata.
    public convenience init(gguf: GGUFFile) throws {
        let model = gguf.metadata["tokenizer.ggml.model"]?.string ?? ""
        guard model == "gpt2" || model == "llama" else { throw BPETokenizerError.unsupportedModel(model) }
        guard let toks = gguf.metadata["tokenizer.ggml.tokens"]?.array?.compactMap(\.string) else {
            throw BPETokenizerError.missing("tokenizer.ggml.tokens")
        }
        let types = gguf.metadata["tokenizer.ggml.token_type"]?.array?.compactMap(\.int) ?? []
        let merges = gguf.metadata["tokenizer.ggml.merges"]?.array?.compactMap(\.string)
        guard model == "llama" || merges != nil else { throw BPETokenizerError.missing("tokenizer.ggml.merges") }
        if model == "llama" {
            guard let scores = gguf.metadata["tokenizer.ggml.scores"]?.array?.compactMap(\.double), scores.count == toks.count else {
                throw BPETokenizerError.missing("tokenizer.ggml.scores")
            }
            let spm = SentencePieceVocabulary(scores: scores.map { Float($0) }, tokenTypes: types,
                                              addSpacePrefix: gguf.metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? true,
                                              unknownId: gguf.metadata["tokenizer.ggml.unknown_token_id"]?.int)
            try self.init(tokens: toks, tokenTypes: types, merges: [],
                          bos: gguf.metadata["tokenizer.ggml.bos_token_id"]?.int,
                          eos: gguf.metadata["tokenizer.ggml.eos_token_id"]?.int,
                          addBOS: gguf.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? true,
                          preTokenizer: BPEPreTokenizer(isolateDigits: false), sentencePiece: spm)
            return
        }
        let preName = gguf.metadata["tokenizer.ggml.pre"]?.string ?? "gpt2"
        guard let pre = BPEPreTokenizer(ggufPre: preName) else { throw BPETokenizerError.unsupportedPreTokenizer(preName) }
        try self.init(tokens: toks, tokenTypes: types, merges: merges ?? [],
                      bos: gguf.metadata["tokenizer.ggml.bos_token_id"]?.int,
                      eos: gguf.metadata["tokenizer.ggml.eos_token_id"]?.int,
                      addBOS: gguf.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? false,
                      preTokenizer: pre, composesNFC: gguf.metadata[Self.nfcMetadataKey]?.bool ?? false)
    }

    /// GPT-2's reversible map from bytes to printable characters.
    static func gpt2ByteTable() -> [Character] {
        var table = [Character](repeating: " ", count: 256)
        var n = 0
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Character(Unicode.Scalar(UInt32(b))!)
            } else {
                table[b] = Character(Unicode.Scalar(UInt32(256 + n))!)
                n += 1
            }
        }
        return table
    }

    public func id(of token: String) -> Int? { vocab[token] }

    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        if let sentencePiece { return encodeSentencePiece(text, sentencePiece, addSpecialTokens: addSpecialTokens) }
        var out: [Int] = []
        if addSpecialTokens && addBOS, let bosId { out.append(bosId) }
        for (segment, special) in splitSpecial(text) {
            if let special { out.append(special); continue }
            let segment = composesNFC ? segment.precomposedStringWithCanonicalMapping : segment
            for word in pre.split(segment) { encodeWord(Substring(word), into: &out) }
        }
        return out
    }

    /// Text pieces and the special tokens between them.
    func splitSpecial(_ text: String) -> [(String, Int?)] {
        guard !specials.isEmpty else { return [(text, nil)] }
        var out: [(String, Int?)] = []
        var rest = Substring(text)
        outer: while !rest.isEmpty {
            var best: (Range<Substring.Index>, Int)? = nil
            for (t, id) in specials {
                if let r = rest.range(of: t), best == nil || r.lowerBound < best!.0.lowerBound {
                    best = (r, id)
                }
            }
            guard let (r, id) = best else { out.append((String(rest), nil)); break outer }
            if r.lowerBound > rest.startIndex { out.append((String(rest[..<r.lowerBound]), nil)) }
            out.append(("", id))
            rest = rest[r.upperBound...]
        }
        return out
    }

    private func encodeWord(_ word: Substring, into out: inout [Int]) {
        if pre.ignoreMerges, let id = vocab[String(word.utf8.map { byteToChar[Int($0)] })] {
            out.append(id)
            return
        }
        var syms: [Int] = []
        for b in word.utf8 {
            guard let id = byteTokenIds[Int(b)] else { return }
            syms.append(id)
        }
        // Repeatedly merge the lowest-ranked adjacent pair (leftmost on ties).
        while syms.count > 1 {
            var bestRank = Int.max, bestAt = -1, bestId = 0
            for i in 0..<(syms.count - 1) {
                if let m = merges[UInt64(syms[i]) << 32 | UInt64(syms[i + 1])], m.rank < bestRank {
                    bestRank = m.rank; bestAt = i; bestId = m.id
                }
            }
            if bestAt < 0 { break }
            syms[bestAt] = bestId
            syms.remove(at: bestAt + 1)
        }
        out.append(contentsOf: syms)
    }

    /// Raw bytes a token stands for (control tokens: their text).
    public func bytes(of id: Int) -> [UInt8] {
        guard id >= 0, id < tokens.count else { return [] }
        if specialIds.contains(id) { return Array(tokens[id].utf8) }
        if let sentencePiece { return sentencePieceBytes(of: id, sentencePiece) }
        var out: [UInt8] = []
        for sc in tokens[id].unicodeScalars {
            if let b = charToByte[sc.value] { out.append(b) } else { out.append(contentsOf: Array(String(sc).utf8)) }
        }
        return out
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            bytes.append(contentsOf: self.bytes(of: id))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
