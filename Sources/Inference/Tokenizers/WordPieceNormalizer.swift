import Foundation

/// BERT's text normalisation and pre-tokenisation, as the `tokenizers` package's `BertNormalizer`
/// and `BertPreTokenizer` define them. Works on Unicode scalars (Rust `char`s), never on Swift
/// `Character`s or canonical-equivalence comparisons, so a decomposed Hangul syllable stays decomposed.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText = true
    public var handleChineseChars = true
    /// nil: follow `lowercase` (BERT's uncased models strip accents).
    public var stripAccents: Bool? = nil
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(input.count + 8)
        for s in input {
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
                if Self.isWhitespace(s) { scalars.append(" "); continue }
            }
            if handleChineseChars && Self.isChineseChar(s) {
                scalars.append(" ")
                scalars.append(s)
                scalars.append(" ")
                continue
            }
            scalars.append(s)
        }
        let allASCII = scalars.allSatisfy { $0.isASCII }
        if stripAccents ?? lowercase, !allASCII {
            let decomposed = String(String.UnicodeScalarView(scalars)).decomposedStringWithCanonicalMapping
            scalars = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            if allASCII {
                scalars = scalars.map { s in (65...90).contains(s.value) ? Unicode.Scalar(s.value + 32)! : s }
            } else {
                var lowered: [Unicode.Scalar] = []
                lowered.reserveCapacity(scalars.count)
                // Per-scalar full mapping without context (no final-sigma rule), as Rust's char::to_lowercase.
                for s in scalars { lowered.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) }
                scalars = lowered
            }
        }
        return scalars
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Control, format, private-use and surrogate code points (Cc, Cf, Co, Cs); tab, newline and
    /// carriage return count as whitespace instead. Unassigned code points are kept, as `tokenizers` does.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        if s.value >= 0x20 && s.value < 0x7F { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks BERT splits into single characters (the ranges `tokenizers` uses).
    static func isChineseChar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        case 0..<128: return false
        default: break
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// BERT pre-tokenisation: split on whitespace (dropped) and around every punctuation mark (kept alone).
    public static func preTokenize(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (i, s) in scalars.enumerated() {
            if s.properties.isWhitespace {
                if start < i { words.append(scalars[start..<i]) }
                start = i + 1
            } else if isPunctuation(s) {
                if start < i { words.append(scalars[start..<i]) }
                words.append(scalars[i..<(i + 1)])
                start = i + 1
            }
        }
        if start < scalars.count { words.append(scalars[start..<scalars.count]) }
        return words
    }
}
