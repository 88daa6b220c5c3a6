/// Splits text into the words byte-level BPE merges within, as llama.cpp does for the GPT-2
/// family of pre-tokenizers (`gpt2`, `smollm`, `starcoder`, ...):
///   optionally every number character on its own first (`\p{N}`), then in each piece
///   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
/// Lookahead never crosses a piece boundary, as in llama.cpp's and HF's splitters.
/// Llama 3 and Qwen 2 use another pattern (`llama3Words`).
public struct BPEPreTokenizer: Sendable {
    /// `smollm`-style: each digit is a word of its own.
    var isolateDigits: Bool
    /// Llama 3's pattern with numbers in runs of at most this many digits (3; Qwen 2: 1).
    var llama3Digits: Int? = nil
    /// Llama 3: a word that is itself a token is that token, whatever the merges would build.
    var ignoreMerges: Bool { llama3Digits == 3 }

    /// The splitter llama.cpp uses for a GGUF `tokenizer.ggml.pre`; nil for one it has not got.
    public init?(ggufPre pre: String) {
        switch pre {
        case "gpt2", "gpt-2", "default", "phi-2", "jina-es", "jina-de", "olmo", "dbrx", "poro-chat", "viking", "jais":
            isolateDigits = false
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            isolateDigits = true
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe":
            isolateDigits = false; llama3Digits = 3
        case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan":
            isolateDigits = false; llama3Digits = 1
        default:
            return nil
        }
    }

    public init(isolateDigits: Bool) { self.isolateDigits = isolateDigits }

    private enum Kind { case letter, number, space, other }

    private static func kind(_ s: Unicode.Scalar) -> Kind {
        if s.properties.isWhitespace { return .space }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Words of `text`, each a run of Unicode scalars.
    public func split(_ text: String) -> [String.UnicodeScalarView.SubSequence] {
        let scalars = text.unicodeScalars
        let cps = Array(scalars)
        let kinds = cps.map(Self.kind)
        var idx: [String.UnicodeScalarView.Index] = []
        idx.reserveCapacity(cps.count + 1)
        var i = scalars.startIndex
        while i != scalars.endIndex { idx.append(i); i = scalars.index(after: i) }
        idx.append(scalars.endIndex)

        if let digits = llama3Digits {
            return llama3Words(cps, kinds, digits: digits).map { scalars[idx[$0.lowerBound]..<idx[$0.upperBound]] }
        }
        var ranges: [Range<Int>] = []
        if isolateDigits {
            var start = 0
            for p in 0..<cps.count where kinds[p] == .number {
                if start < p { ranges.append(start..<p) }
                ranges.append(p..<(p + 1))
                start = p + 1
            }
            if start < cps.count { ranges.append(start..<cps.count) }
        } else {
            ranges = [0..<cps.count]
        }
        var out: [String.UnicodeScalarView.SubSequence] = []
        for r in ranges {
            for w in gpt2Words(cps, kinds, r) { out.append(scalars[idx[w.lowerBound]..<idx[w.upperBound]]) }
        }
        return out
    }

    private func gpt2Words(_ cps: [Unicode.Scalar], _ kinds: [Kind], _ r: Range<Int>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var pos = r.lowerBound
        let end = r.upperBound
        func kindAt(_ p: Int) -> Kind? { p < end ? kinds[p] : nil }
        while pos < end {
            let c = cps[pos]
            // contractions, case-sensitive as in the GPT-2 pattern
            if c == "'" && pos + 1 < end {
                let c1 = cps[pos + 1]
                if c1 == "s" || c1 == "t" || c1 == "m" || c1 == "d" { words.append(pos..<(pos + 2)); pos += 2; continue }
                if pos + 2 < end {
                    let c2 = cps[pos + 2]
                    if (c1 == "r" && c2 == "e") || (c1 == "v" && c2 == "e") || (c1 == "l" && c2 == "l") {
                        words.append(pos..<(pos + 3)); pos += 3; continue
                    }
                }
            }
            let p2 = c == " " ? pos + 1 : pos
            if let k = kindAt(p2), k != .space {
                var q = p2 + 1
                if k == .other {
                    while let kq = kindAt(q), kq == .other { q += 1 }
                } else {
                    while kindAt(q) == k { q += 1 }
                }
                words.append(pos..<q); pos = q; continue
            }
            var n = 0
            while kindAt(pos + n) == .space { n += 1 }
            if n > 1 && pos + n < end {
                // \s+(?!\S): leave the last space to start the next word
                words.append(pos..<(pos + n - 1)); pos += n - 1; continue
            }
            if n > 0 { words.append(pos..<(pos + n)); pos += n; continue }
            words.append(pos..<(pos + 1)); pos += 1
        }
        return words
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,digits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    /// the alternatives tried in order at each position as the regex engine does.
    private func llama3Words(_ cps: [Unicode.Scalar], _ kinds: [Kind], digits: Int) -> [Range<Int>] {
        let end = cps.count
        func kindAt(_ p: Int) -> Kind? { p < end ? kinds[p] : nil }
        func isNewline(_ p: Int) -> Bool { p < end && (cps[p] == "\r" || cps[p] == "\n") }
        func lower(_ p: Int) -> Unicode.Scalar? { p < end ? Unicode.Scalar(cps[p].properties.lowercaseMapping.unicodeScalars.first!.value) : nil }
        var words: [Range<Int>] = []
        var pos = 0
        while pos < end {
            let c = cps[pos]
            if c == "'" {
                let c1 = lower(pos + 1), c2 = lower(pos + 2)
                if c1 == "s" || c1 == "t" || c1 == "m" || c1 == "d" { words.append(pos..<(pos + 2)); pos += 2; continue }
                if (c1 == "r" && c2 == "e") || (c1 == "v" && c2 == "e") || (c1 == "l" && c2 == "l") {
                    words.append(pos..<(pos + 3)); pos += 3; continue
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            let lead = kinds[pos] != .letter && kinds[pos] != .number && !isNewline(pos) ? 1 : 0
            if kindAt(pos + lead) == .letter || kinds[pos] == .letter {
                var q = kinds[pos] == .letter ? pos + 1 : pos + lead + 1
                while kindAt(q) == .letter { q += 1 }
                words.append(pos..<q); pos = q; continue
            }
            if kinds[pos] == .number {
                var q = pos + 1
                while q - pos < digits, kindAt(q) == .number { q += 1 }
                words.append(pos..<q); pos = q; continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let p2 = c == " " ? pos + 1 : pos
            if kindAt(p2) == .other {
                var q = p2 + 1
                while kindAt(q) == .other { q += 1 }
                while isNewline(q) { q += 1 }
                words.append(pos..<q); pos = q; continue
            }
            // whitespace: `\s*[\r\n]+` up to the run's last newline, else `\s+(?!\S)`, else `\s+`
            var n = 0
            while kindAt(pos + n) == .space { n += 1 }
            if n > 0 {
                if let last = (pos..<(pos + n)).last(where: isNewline) {
                    words.append(pos..<(last + 1)); pos = last + 1; continue
                }
                if n > 1 && pos + n < end { words.append(pos..<(pos + n - 1)); pos += n - 1; continue }
                words.append(pos..<(pos + n)); pos += n; continue
            }
            words.append(pos..<(pos + 1)); pos += 1
        }
        return words
    }
}
