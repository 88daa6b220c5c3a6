/// A tokenizer's ordinary tokens sorted by their bytes, with each one's common prefix length
/// with the one before: walking this order, a grammar check reuses the state of the shared
/// prefix and skips every token under a prefix the grammar has refused, so masking the whole
/// vocabulary costs about one step per distinct prefix instead of one per token byte.
public struct VocabularyIndex: Sendable {
    let ids: [Int32]
    let bytes: [[UInt8]]
    /// lcp[k]: bytes token k shares with token k-1 (0 for the first).
    let lcp: [Int32]

    init(count: Int, isSpecial: (Int) -> Bool, bytesOf: (Int) -> [UInt8]) {
        var entries: [(Int32, [UInt8])] = []
        entries.reserveCapacity(count)
        for id in 0..<count where !isSpecial(id) {
            let b = bytesOf(id)
            if !b.isEmpty { entries.append((Int32(id), b)) }
        }
        entries.sort { $0.1.lexicographicallyPrecedes($1.1) }
        ids = entries.map(\.0)
        bytes = entries.map(\.1)
        var l = [Int32](repeating: 0, count: entries.count)
        for k in 1..<max(entries.count, 1) {
            let a = entries[k - 1].1, b = entries[k].1
            var n = 0
            while n < a.count && n < b.count && a[n] == b[n] { n += 1 }
            l[k] = Int32(n)
        }
        lcp = l
    }
}

extension JSONGrammarMatcher {
    /// For every ordinary token of `index`, whether the grammar takes its bytes next.
    public func allowedTokens(_ index: VocabularyIndex, vocabularySize: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: vocabularySize)
        // states[d]: the configurations after the first d bytes of the current token.
        var states: [[Stack]] = [stacks]
        for k in index.ids.indices {
            let shared = Int(index.lcp[k])
            // The previous token died within the shared prefix: this one dies there too.
            if shared >= states.count { continue }
            states.removeLast(states.count - shared - 1)
            let b = index.bytes[k]
            var alive = true
            for d in shared..<b.count {
                let next = step(states[d], b[d])
                if next.isEmpty { alive = false; break }
                states.append(next)
            }
            if alive { mask[Int(index.ids[k])] = true }
        }
        return mask
    }
}
