import Foundation

/// Keys and values of recent prompts, so a prompt that starts like one of them (a repeated system
/// prompt, a chat resent with one more turn) skips recomputing the shared part.
///
/// Only prompt positions are kept: they were computed in a prompt pass, and a prompt pass gives
/// every position the same keys and values whatever else shares it, so a reused prefix is
/// bit-identical to recomputing it and answers do not depend on what ran before. Owned by the
/// scheduler's thread.
final class LlamaPrefixCache {
    private struct Entry {
        let prompt: [Int]
        let cache: LlamaKVCache
        var lastUse: Int
    }

    /// Shorter shared prefixes are recomputed (copying them saves too little).
    static let minimumPrefix = 16
    private let budgetBytes: Int
    private var entries: [Entry] = []
    private var clock = 0
    private(set) var hits = 0
    private(set) var reusedTokens = 0

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    private static func bytes(_ c: LlamaKVCache) -> Int { 2 * c.layers * c.capacity * c.kvDim * MemoryLayout<Float>.size }

    /// Remembers a prompt whose every position `cache` holds from a prompt pass.
    func store(prompt: [Int], cache: LlamaKVCache) {
        guard budgetBytes > 0, prompt.count >= Self.minimumPrefix, cache.count >= prompt.count,
              Self.bytes(cache) <= budgetBytes else { return }
        clock += 1
        // A prompt extending a stored one replaces it; one a stored prompt extends adds nothing.
        if entries.contains(where: { $0.prompt.count >= prompt.count && $0.prompt.starts(with: prompt) }) { return }
        entries.removeAll { prompt.starts(with: $0.prompt) }
        entries.append(Entry(prompt: prompt, cache: cache, lastUse: clock))
        while entries.reduce(0, { $0 + Self.bytes($1.cache) }) > budgetBytes,
              let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            entries.remove(at: oldest)
        }
    }

    /// Copies the longest stored prefix of `prompt` (leaving at least its last token to run, for
    /// the logits) into `cache`, which must be empty; returns how many positions it filled.
    func fill(_ cache: LlamaKVCache, for prompt: [Int]) -> Int {
        var best = 0, bestAt = -1
        for (i, e) in entries.enumerated() {
            var n = 0
            let limit = min(e.prompt.count, prompt.count - 1, cache.capacity)
            while n < limit && e.prompt[n] == prompt[n] { n += 1 }
            if n > best { best = n; bestAt = i }
        }
        guard best >= Self.minimumPrefix, bestAt >= 0, cache.count == 0 else { return 0 }
        clock += 1
        entries[bestAt].lastUse = clock
        let src = entries[bestAt].cache
        for layer in 0..<cache.layers {
            cache.keys(layer: layer, pos: 0).update(from: src.keys(layer: layer, pos: 0), count: best * cache.kvDim)
            cache.values(layer: layer, pos: 0).update(from: src.values(layer: layer, pos: 0), count: best * cache.kvDim)
        }
        cache.count = best
        hits += 1
        reusedTokens += best
        return best
    }
}
