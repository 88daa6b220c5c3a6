import Foundation

/// Why a WordPiece tokenizer could not be built from a model's files.
public enum TokenizerLoadError: Error, CustomStringConvertible, Equatable {
    case notWordPiece(path: String, type: String)
    case missingVocabulary(path: String)
    case missingToken(path: String, token: String)

    public var description: String {
        switch self {
        case .notWordPiece(let path, let type): return "\(path) describes a \(type) tokenizer, not WordPiece"
        case .missingVocabulary(let path): return "\(path) holds no WordPiece vocabulary"
        case .missingToken(let path, let token): return "\(path): the vocabulary has no '\(token)' token"
        }
    }
}

/// BERT's WordPiece tokenizer: BERT normalisation, whitespace/punctuation pre-tokenisation,
/// greedy longest-match sub-words, special tokens matched in the raw text, [CLS] … [SEP] framing.
/// Gives the ids the `tokenizers` package gives for the same `tokenizer.json` (padding off).
public struct WordPieceTokenizer: TextTokenizer {
    public let normalizer: BertNormalizer
    public let unknownToken: String
    public let continuingPrefix: String
    public let maxInputCharsPerWord: Int
    public let clsId: Int
    public let sepId: Int
    public let padId: Int
    public let unknownId: Int
    /// The truncation length the file asks for (tokenizer.json's "truncation"), if any; the
    /// embedding model uses its own maximum sequence length instead.
    public let fileTruncation: Int?

    private let idToToken: [String]
    private let wordStart: [[UInt8]: Int]
    private let continuation: [[UInt8]: Int]
    /// Added tokens matched verbatim in the input before normalisation, longest first.
    private let addedTokens: [(scalars: [Unicode.Scalar], id: Int)]
    private let addedFirstScalars: Set<Unicode.Scalar>
    private let specialIds: Set<Int>

    public var vocabularySize: Int { idToToken.count }

    public init(vocabulary: [String], normalizer: BertNormalizer = BertNormalizer(), unknownToken: String = "[UNK]",
                continuingPrefix: String = "##", maxInputCharsPerWord: Int = 100,
                specialTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                clsToken: String = "[CLS]", sepToken: String = "[SEP]", padToken: String = "[PAD]",
                fileTruncation: Int? = nil, source: String = "vocabulary") throws {
        guard !vocabulary.isEmpty else { throw TokenizerLoadError.missingVocabulary(path: source) }
        self.normalizer = normalizer
        self.unknownToken = unknownToken
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.fileTruncation = fileTruncation
        idToToken = vocabulary
        var ids: [String: Int] = [:]
        var start: [[UInt8]: Int] = [:]
        var cont: [[UInt8]: Int] = [:]
        let prefix = Array(continuingPrefix.utf8)
        for (id, token) in vocabulary.enumerated() {
            let bytes = Array(token.utf8)
            // Byte keys, not Strings: Swift String equality is canonical equivalence, the vocabulary's is not.
            if start[bytes] == nil { start[bytes] = id }
            if !prefix.isEmpty, bytes.starts(with: prefix), cont[Array(bytes.dropFirst(prefix.count))] == nil {
                cont[Array(bytes.dropFirst(prefix.count))] = id
            }
            if ids[token] == nil { ids[token] = id }
        }
        wordStart = start
        continuation = cont
        func id(_ token: String) throws -> Int {
            guard let id = start[Array(token.utf8)] else { throw TokenizerLoadError.missingToken(path: source, token: token) }
            return id
        }
        unknownId = try id(unknownToken)
        clsId = try id(clsToken)
        sepId = try id(sepToken)
        padId = try id(padToken)
        var added: [(scalars: [Unicode.Scalar], id: Int)] = []
        for token in specialTokens {
            if let tid = start[Array(token.utf8)] { added.append((Array(token.unicodeScalars), tid)) }
        }
        addedTokens = added.sorted { $0.scalars.count > $1.scalars.count }
        addedFirstScalars = Set(added.compactMap(\.scalars.first))
        specialIds = Set(added.map(\.id))
    }

    public func token(forId id: Int) -> String? { idToToken.indices.contains(id) ? idToToken[id] : nil }
    public func id(forToken token: String) -> Int? { wordStart[Array(token.utf8)] }

    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        encode(text, addSpecialTokens: addSpecialTokens, maxLength: nil)
    }

    /// Ids for `text`, cut to at most `maxLength` ids (the [CLS]/[SEP] framing included) as
    /// `tokenizers`' longest-first truncation does for one sequence.
    public func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int] {
        var ids = tokenize(text)
        if let maxLength {
            let room = max(0, maxLength - (addSpecialTokens ? 2 : 0))
            if ids.count > room { ids.removeLast(ids.count - room) }
        }
        return addSpecialTokens ? [clsId] + ids + [sepId] : ids
    }

    private func tokenize(_ text: String) -> [Int] {
        var ids: [Int] = []
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var i = 0
        while i < scalars.count {
            if let match = addedToken(at: i, in: scalars) {
                appendWordPieces(of: scalars[segmentStart..<i], to: &ids)
                ids.append(match.id)
                i += match.length
                segmentStart = i
            } else {
                i += 1
            }
        }
        appendWordPieces(of: scalars[segmentStart..<scalars.count], to: &ids)
        return ids
    }

    private func addedToken(at i: Int, in scalars: [Unicode.Scalar]) -> (id: Int, length: Int)? {
        guard addedFirstScalars.contains(scalars[i]) else { return nil }
        for token in addedTokens where token.scalars.count <= scalars.count - i {
            if scalars[i..<(i + token.scalars.count)].elementsEqual(token.scalars) { return (token.id, token.scalars.count) }
        }
        return nil
    }

    private func appendWordPieces(of segment: ArraySlice<Unicode.Scalar>, to ids: inout [Int]) {
        guard !segment.isEmpty else { return }
        let normalized = normalizer.normalize(Array(segment))
        for word in BertNormalizer.preTokenize(normalized) {
            appendPieces(of: word, to: &ids)
        }
    }

    /// Greedy longest-match-first; a word with any unmatched part, or too long, is one [UNK].
    private func appendPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int]) {
        if word.count > maxInputCharsPerWord {
            ids.append(unknownId)
            return
        }
        var bytes: [UInt8] = []
        var boundaries: [Int] = [0]
        for s in word {
            bytes.append(contentsOf: String(s).utf8)
            boundaries.append(bytes.count)
        }
        var pieces: [Int] = []
        var start = 0
        let n = word.count
        while start < n {
            var end = n
            var found: Int? = nil
            while start < end {
                let key = Array(bytes[boundaries[start]..<boundaries[end]])
                if let id = (start == 0 ? wordStart[key] : continuation[key]) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.append(unknownId)
                return
            }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }

    /// WordPiece decoding: sub-words re-joined, words separated by spaces, spaces before
    /// punctuation tidied per token as `tokenizers`' WordPiece decoder (cleanup on) does.
    /// Byte-wise, not Character-wise: "##" followed by a combining mark is still the prefix.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var out: [UInt8] = []
        var index = 0
        let prefix = Array(continuingPrefix.utf8)
        for id in ids {
            guard let token = token(forId: id) else { continue }
            if skipSpecialTokens && specialIds.contains(id) { continue }
            var piece = Array(token.utf8)
            if index > 0 {
                if !prefix.isEmpty && piece.starts(with: prefix) {
                    piece.removeFirst(prefix.count)
                } else {
                    piece.insert(UInt8(ascii: " "), at: 0)
                    for (from, to) in Self.cleanups { piece = Self.replacing(from, with: to, in: piece) }
                }
            }
            out += piece
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let cleanups: [([UInt8], [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    private static func replacing(_ from: [UInt8], with to: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= from.count else { return bytes }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if i + from.count <= bytes.count && bytes[i..<(i + from.count)].elementsEqual(from) {
                out += to
                i += from.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
