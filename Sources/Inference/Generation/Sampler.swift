import Foundation

/// xoshiro256** seeded through SplitMix64: same seed, same draws, on every platform.
struct SeededRandom: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var z = seed
        func next() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (next(), next(), next(), next())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

/// Picks the next token from logits: penalties, then greedy or temperature + top-p sampling.
struct TokenSampler {
    let parameters: GenerationParameters
    private var rng: SeededRandom
    /// How often each token has been generated so far (for presence/frequency penalties).
    private var counts: [Int: Int] = [:]

    init(parameters: GenerationParameters) {
        self.parameters = parameters
        rng = SeededRandom(seed: parameters.seed ?? UInt64.random(in: 0...UInt64.max))
    }

    mutating func record(_ token: Int) { counts[token, default: 0] += 1 }

    /// The chosen token, from `logits` (modified in place by the penalties and the bias).
    /// `allowed`, when given, is the constraint of structured output: a drawn token it refuses
    /// is masked and the draw repeated (cheap: the model mostly wants an allowed token); after
    /// a few refusals the whole vocabulary is masked at once. -1 when no token is allowed.
    mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>, allowed: ((Int) -> Bool)? = nil,
                         mask: (() -> [Bool])? = nil) -> Int {
        let p = parameters
        if p.presencePenalty != 0 || p.frequencyPenalty != 0 {
            for (t, c) in counts where t < logits.count {
                logits[t] -= p.presencePenalty + p.frequencyPenalty * Float(c)
            }
        }
        for (t, b) in p.logitBias where t >= 0 && t < logits.count { logits[t] += b }
        guard let allowed else { return pick(logits) }
        for _ in 0..<8 {
            let t = pick(logits)
            if t < 0 || allowed(t) { return t }
            logits[t] = -.infinity
        }
        if let mask {
            let ok = mask()
            for i in 0..<logits.count where !ok[i] { logits[i] = -.infinity }
        } else {
            for i in 0..<logits.count where logits[i] > -.infinity && !allowed(i) { logits[i] = -.infinity }
        }
        let t = pick(logits)
        guard t >= 0, logits[t] == -.infinity else { return t }
        let best = Self.argmax(logits)   // rounding in the draw landed on a masked token
        return logits[best] == -.infinity ? -1 : best
    }

    /// Greedy or temperature + top-p draw; -1 when every logit is -infinity.
    private mutating func pick(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        let p = parameters
        if p.temperature <= 0 {
            let t = Self.argmax(logits)
            return logits[t] == -.infinity ? -1 : t
        }
        // Softmax at the temperature, candidates in descending order, nucleus cut, draw.
        // Only the head of the distribution is sorted: tokens whose weight is below 1e-9 of the
        // best one together hold less than 0.005% of the mass (at most 1e-9 x the vocabulary),
        // so the nucleus and the draw almost always end inside the head; when either would
        // reach into the tail, the whole vocabulary is sorted, which gives the same token.
        var maxL = -Float.infinity
        for v in logits where v > maxL { maxL = v }
        if maxL == -.infinity { return -1 }
        let invT = 1 / Double(p.temperature)
        var weights = [Double](repeating: 0, count: logits.count)
        var sum = 0.0
        var head: [Int] = []
        head.reserveCapacity(256)
        for i in 0..<logits.count {
            let e = exp(Double(logits[i] - maxL) * invT)
            weights[i] = e
            sum += e
            if e >= 1e-9 { head.append(i) }
        }
        let order: (Int, Int) -> Bool = { a, b in weights[a] > weights[b] || (weights[a] == weights[b] && a < b) }
        head.sort(by: order)
        let r = rng.unit()
        if let t = Self.draw(head, weights: weights, sum: sum, topP: Double(p.topP), r: r, complete: head.count == logits.count) {
            return t
        }
        var all = Array(0..<logits.count)
        all.sort(by: order)
        return Self.draw(all, weights: weights, sum: sum, topP: Double(p.topP), r: r, complete: true)!
    }

    /// The token that `r` in [0, 1) picks from the nucleus of `sorted` (descending candidates),
    /// or nil when `sorted` is only the head and the nucleus or the draw would go past it.
    static func draw(_ sorted: [Int], weights: [Double], sum: Double, topP: Double, r: Double, complete: Bool) -> Int? {
        var keep = sorted.count
        if topP < 1 {
            var cum = 0.0
            var found = false
            for (i, t) in sorted.enumerated() {
                cum += weights[t] / sum
                if cum >= topP { keep = i + 1; found = true; break }
            }
            if !found && !complete { return nil }
        } else if !complete {
            keep = -1   // the nucleus is the whole vocabulary: its mass is `sum`
        }
        let total = keep < 0 ? sum : sorted[0..<keep].reduce(0.0) { $0 + weights[$1] }
        var x = r * total
        let n = keep < 0 ? sorted.count : keep
        for i in 0..<n {
            x -= weights[sorted[i]]
            if x < 0 { return sorted[i] }
        }
        return keep < 0 ? nil : sorted[n - 1]
    }

    static func argmax(_ x: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        var bv = -Float.infinity
        for i in 0..<x.count where x[i] > bv { bv = x[i]; best = i }
        return best
    }
}

/// log-softmax value of `token` and the `k` most likely alternatives.
func logprobs(_ logits: UnsafeBufferPointer<Float>, token: Int, top k: Int) -> (Float, [(Int, Float)]) {
    var mx = -Float.infinity
    for v in logits where v > mx { mx = v }
    var sum = 0.0
    for v in logits { sum += exp(Double(v - mx)) }
    let lse = Double(mx) + log(sum)
    let lp = Float(Double(logits[token]) - lse)
    guard k > 0 else { return (lp, []) }
    // partial selection of the k largest
    var top: [(Int, Float)] = []
    for (i, v) in logits.enumerated() {
        if top.count < k { top.append((i, v)); top.sort { $0.1 > $1.1 }; continue }
        if v > top[k - 1].1 { top[k - 1] = (i, v); top.sort { $0.1 > $1.1 } }
    }
    return (lp, top.map { ($0.0, Float(Double($0.1) - lse)) })
}
