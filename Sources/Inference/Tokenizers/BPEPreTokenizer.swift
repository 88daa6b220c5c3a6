/// Splits text into the words byte-level BPE merges within, as llama.cpp does for the GPT-2
/// family of pre-tokenizers (`gpt2`, `smollm`, `starcoder`, ...):
///   optionally every number character on its own first (`\p{N}`), then in each piece
///   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
/// Lookahead never crosses a piece boundary, as in llama.cpp's and HF's splitters.
struct BPEPreTokenizer: Sendable {
    /// `smollm`-style: each digit is a word of its own.
    var isolateDigits: Bool

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
    func split(_ text: String) -> [String.UnicodeScalarView.SubSequence] {
        let scalars = text.unicodeScalars
        let cps = Array(scalars)
        let kinds = cps.map(Self.kind)
        var idx: [String.UnicodeScalarView.Index] = []
        idx.reserveCapacity(cps.count + 1)
        var i = scalars.startIndex
        while i != scalars.endIndex { idx.append(i); i = scalars.index(after: i) }
        idx.append(scalars.endIndex)

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
}
