import Foundation

/// What a SentencePiece vocabulary (GGUF `tokenizer.ggml.model = llama`: Llama 2, Mistral,
/// TinyLlama, Gemma) adds to the token list.
public struct SentencePieceVocabulary: Sendable {
    let scores: [Float]
    let tokenTypes: [Int]
    /// A space is put before the text (and after each special token), as SentencePiece does.
    let addSpacePrefix: Bool
    let unknownId: Int?

    static let byteType = 6
}

extension BPETokenizer {
    /// llama.cpp's SPM tokenizer: the text's characters are merged pairwise, always the adjacent
    /// pair whose joined piece has the highest score (leftmost on ties); characters no piece
    /// covers become their UTF-8 bytes' `<0xXX>` tokens.
    func encodeSentencePiece(_ text: String, _ spm: SentencePieceVocabulary, addSpecialTokens: Bool) -> [Int] {
        var out: [Int] = []
        if addSpecialTokens && addBOS, let bosId { out.append(bosId) }
        var afterSpecial = true
        for (segment, special) in splitSpecial(text) {
            if let special { out.append(special); afterSpecial = true; continue }
            if segment.isEmpty { continue }
            let spaced = (spm.addSpacePrefix && afterSpecial ? " " : "") + segment
            mergePieces(Array(spaced.replacingOccurrences(of: " ", with: "\u{2581}").utf8), spm, into: &out)
            afterSpecial = false
        }
        return out
    }

    private struct Symbol { var start: Int, length: Int, prev: Int, next: Int }

    private func mergePieces(_ bytes: [UInt8], _ spm: SentencePieceVocabulary, into out: inout [Int]) {
        var symbols: [Symbol] = []
        var i = 0
        while i < bytes.count {
            let n = min(Self.utf8Length(bytes[i]), bytes.count - i)
            symbols.append(Symbol(start: i, length: n, prev: symbols.count - 1, next: i + n < bytes.count ? symbols.count + 1 : -1))
            i += n
        }
        func piece(_ start: Int, _ length: Int) -> Int? {
            vocab[String(decoding: bytes[start..<(start + length)], as: UTF8.self)]
        }
        var heap = BigramHeap()
        func tryAdd(_ l: Int, _ r: Int) {
            guard l >= 0, r >= 0 else { return }
            let size = symbols[l].length + symbols[r].length
            guard let id = piece(symbols[l].start, size) else { return }
            heap.push(Bigram(score: spm.scores[id], left: l, right: r, size: size))
        }
        for k in symbols.indices.dropFirst() { tryAdd(k - 1, k) }
        while let b = heap.pop() {
            let l = b.left, r = b.right
            // A pair that a previous merge changed is stale.
            guard symbols[l].length > 0, symbols[r].length > 0, symbols[l].length + symbols[r].length == b.size else { continue }
            symbols[l].length += symbols[r].length
            symbols[r].length = 0
            symbols[l].next = symbols[r].next
            if symbols[r].next >= 0 { symbols[symbols[r].next].prev = l }
            tryAdd(symbols[l].prev, l)
            tryAdd(l, symbols[l].next)
        }
        var k = symbols.isEmpty ? -1 : 0
        while k >= 0 {
            let s = symbols[k]
            if let id = piece(s.start, s.length) {
                out.append(id)
            } else {
                for b in bytes[s.start..<(s.start + s.length)] {
                    if let id = byteTokenIds[Int(b)] { out.append(id) } else if let unk = spm.unknownId { out.append(unk) }
                }
            }
            k = s.next
        }
    }

    /// The bytes a SentencePiece token stands for: `▁` is a space, `<0xXX>` one byte.
    func sentencePieceBytes(of id: Int, _ spm: SentencePieceVocabulary) -> [UInt8] {
        let t = tokens[id]
        if id < spm.tokenTypes.count, spm.tokenTypes[id] == SentencePieceVocabulary.byteType,
           t.hasPrefix("<0x"), t.hasSuffix(">"), let b = UInt8(t.dropFirst(3).dropLast(), radix: 16) {
            return [b]
        }
        return Array(t.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
    }

    /// Bytes of the UTF-8 character a lead byte starts (1 for a stray continuation byte).
    static func utf8Length(_ b: UInt8) -> Int {
        switch b >> 4 { case 0xC, 0xD: return 2; case 0xE: return 3; case 0xF: return 4; default: return 1 }
    }
}

/// Two adjacent symbols whose joined piece is in the vocabulary, `size` bytes long.
private struct Bigram { var score: Float, left: Int, right: Int, size: Int }

/// Highest score first; on equal scores the leftmost pair.
private struct BigramHeap {
    private var items: [Bigram] = []

    private func before(_ a: Int, _ b: Int) -> Bool {
        items[a].score > items[b].score || (items[a].score == items[b].score && items[a].left < items[b].left)
    }

    mutating func push(_ b: Bigram) {
        items.append(b)
        var c = items.count - 1
        while c > 0, before(c, (c - 1) / 2) { items.swapAt(c, (c - 1) / 2); c = (c - 1) / 2 }
    }

    mutating func pop() -> Bigram? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < items.count, before(l, m) { m = l }
            if r < items.count, before(r, m) { m = r }
            if m == p { break }
            items.swapAt(p, m)
            p = m
        }
        return top
    }
}
