import Foundation

extension LlamaModel {
    public func generate(prompt: [Int], parameters: GenerationParameters,
                         onToken: (GeneratedToken) -> Bool) throws -> GenerationResult {
        try generateBatch(prompts: [prompt], parameters: [parameters]) { _, t in onToken(t) }[0]
    }

    public func generateBatch(prompts: [[Int]], parameters: [GenerationParameters],
                              onToken: (_ index: Int, GeneratedToken) -> Bool) throws -> [GenerationResult] {
        guard prompts.count == parameters.count else {
            throw LlamaError.invalidParameters("\(prompts.count) prompts but \(parameters.count) parameter sets")
        }
        for (p, par) in zip(prompts, parameters) {
            try validate(prompt: p, maxTokens: par.maxTokens)
            guard par.temperature >= 0, par.temperature.isFinite else { throw LlamaError.invalidParameters("temperature must be >= 0") }
            guard par.topP > 0, par.topP <= 1 else { throw LlamaError.invalidParameters("top_p must be in (0, 1]") }
            if let k = par.topLogprobs, k < 0 || k > 20 { throw LlamaError.invalidParameters("top_logprobs must be in 0...20") }
        }
        if prompts.isEmpty { return [] }
        let c = config
        var seqs: [LlamaSequence] = zip(prompts, parameters).map { p, par in
            LlamaSequence(prompt: p, parameters: par,
                          cache: LlamaKVCache(layers: c.layers, capacity: min(c.contextLength, p.count + par.maxTokens), kvDim: c.kvDim),
                          vocab: c.vocab)
        }
        let maxPositions = seqs.map(\.cache.capacity).max() ?? 1
        let ws = makeWorkspace(rows: max(Self.prefillChunk, prompts.count), logitRows: prompts.count, positions: maxPositions)
        let f = forward

        // Prefill every prompt, rows of several prompts sharing a forward pass.
        var pending: [(seq: Int, row: LlamaBatchRow)] = []
        for (i, s) in seqs.enumerated() where s.parameters.maxTokens > 0 {
            for (j, t) in s.prompt.enumerated() {
                pending.append((i, LlamaBatchRow(token: t, cache: s.cache, position: j, wantLogits: j == s.prompt.count - 1,
                                                 multiToken: s.prompt.count > 1)))
            }
        }
        var start = 0
        while start < pending.count {
            let chunk = pending[start..<min(start + ws.rows, pending.count)]
            f.run(chunk.map(\.row), ws: ws)
            var m = 0
            for item in chunk where item.row.wantLogits {
                seqs[item.seq].takeLogits(ws.logits + m * c.vocab)
                m += 1
            }
            start += chunk.count
        }
        for i in seqs.indices where seqs[i].parameters.maxTokens == 0 { seqs[i].finish = .length }

        // Decode: one token per unfinished sequence per forward pass.
        while true {
            var rows: [(Int, LlamaBatchRow)] = []
            for i in seqs.indices where seqs[i].finish == nil {
                let token = seqs[i].step(tokenizer: bpe, contextLength: c.contextLength) { onToken(i, $0) }
                if seqs[i].finish == nil {
                    rows.append((i, LlamaBatchRow(token: token, cache: seqs[i].cache, position: seqs[i].cache.count, wantLogits: true)))
                }
            }
            if rows.isEmpty { break }
            f.run(rows.map(\.1), ws: ws)
            for (m, (i, _)) in rows.enumerated() { seqs[i].takeLogits(ws.logits + m * c.vocab) }
        }
        return seqs.map(\.result)
    }
}

/// The state of one sequence during generation.
struct LlamaSequence {
    let prompt: [Int]
    let parameters: GenerationParameters
    let cache: LlamaKVCache
    var logits: [Float]
    var sampler: TokenSampler
    var assembler: TextAssembler
    /// Structured output: where the text stands in the grammar.
    var matcher: JSONGrammarMatcher?
    var tokens: [GeneratedToken] = []
    var finish: FinishReason?

    init(prompt: [Int], parameters: GenerationParameters, cache: LlamaKVCache, vocab: Int) {
        self.prompt = prompt
        self.parameters = parameters
        self.cache = cache
        logits = [Float](repeating: 0, count: vocab)
        sampler = TokenSampler(parameters: parameters)
        assembler = TextAssembler(stops: parameters.stop)
        matcher = parameters.grammar.map(JSONGrammarMatcher.init)
    }

    mutating func takeLogits(_ p: UnsafePointer<Float>) {
        logits.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: p, count: $0.count) }
    }

    var result: GenerationResult {
        GenerationResult(text: tokens.map(\.text).joined(), tokens: tokens,
                         finishReason: finish ?? .length, promptTokens: prompt.count)
    }

    /// Samples the next token from `logits`, streams it, and decides whether the sequence ends.
    /// Returns the token to feed next (meaningful only while `finish` is nil).
    mutating func step(tokenizer: BPETokenizer, contextLength: Int, emit: (GeneratedToken) -> Bool) -> Int {
        var work = logits
        let token: Int
        if let matcher {
            token = constrainedToken(&work, matcher, tokenizer: tokenizer)
            if token < 0 || tokenizer.endOfGenerationIds.contains(token) {
                finish = .stop
                appendTail()
                return max(token, 0)
            }
            self.matcher!.advance(tokenizer.bytes(of: token))
            if self.matcher!.mustEnd { finish = .stop }   // the JSON text is whole: nothing may follow
        } else {
            token = work.withUnsafeMutableBufferPointer { sampler.sample($0) }
        }
        sampler.record(token)
        if !parameters.ignoreEOS && tokenizer.endOfGenerationIds.contains(token) {
            finish = .stop
            appendTail()
            return token
        }
        var lp: Float = 0
        var alts: [TokenLogprob] = []
        if let k = parameters.topLogprobs {
            let (v, top) = logits.withUnsafeBufferPointer { logprobs($0, token: token, top: k) }
            lp = v
            alts = top.map { TokenLogprob(id: $0.0, text: tokenizer.decode([$0.0], skipSpecialTokens: false), logprob: $0.1) }
        }
        let pieces = assembler.add(bytes: tokenizer.bytes(of: token), index: tokens.count)
        var text = pieces.map(\.1).joined()
        if assembler.stopped || finish == .stop {
            finish = .stop
            if !assembler.stopped { text += assembler.flush(lastIndex: tokens.count).map(\.1).joined() }
        } else if tokens.count + 1 >= parameters.maxTokens || cache.count >= min(contextLength, cache.capacity) {
            finish = .length
            text += assembler.flush(lastIndex: tokens.count).map(\.1).joined()
        }
        let generated = GeneratedToken(id: token, text: text, logprob: lp, topLogprobs: alts)
        tokens.append(generated)
        if !emit(generated) && finish == nil { finish = .stop }
        return token
    }

    /// The next token under the grammar: an end-of-generation token only once the JSON text is
    /// whole (and at once when nothing may follow), never another special token; -1 when the
    /// grammar leaves no way on (the text ends where it is). When the tokens left barely cover
    /// the bytes still needed, only tokens that bring the end nearer are allowed, so the text
    /// closes within `max_tokens` instead of being cut.
    private mutating func constrainedToken(_ work: inout [Float], _ m: JSONGrammarMatcher, tokenizer: BPETokenizer) -> Int {
        let ends = tokenizer.endOfGenerationIds
        if m.mustEnd { return tokenizer.eosId ?? ends.min() ?? -1 }
        let complete = m.isComplete
        let vocab = work.count
        let need = m.bytesToComplete
        let closing = parameters.maxTokens - tokens.count <= need + 2
        func nearer(_ bytes: [UInt8]) -> Bool {
            var next = m
            return next.advance(bytes) && next.bytesToComplete < need
        }
        let allowed: (Int) -> Bool = { t in
            if ends.contains(t) { return complete }
            if tokenizer.specialIds.contains(t) { return false }
            let bytes = tokenizer.bytes(of: t)
            return !bytes.isEmpty && (closing ? nearer(bytes) : m.accepts(bytes))
        }
        let mask: () -> [Bool] = {
            var ok = m.allowedTokens(tokenizer.vocabularyIndex, vocabularySize: vocab)
            if closing {
                var near = ok
                for t in 0..<vocab where near[t] { near[t] = nearer(tokenizer.bytes(of: t)) }
                if near.contains(true) { ok = near }
            }
            for e in ends where e < ok.count { ok[e] = complete }
            return ok
        }
        return work.withUnsafeMutableBufferPointer { sampler.sample($0, allowed: allowed, mask: mask) }
    }

    /// Text still held back when generation ends on an end-of-sequence token.
    private mutating func appendTail() {
        let tail = assembler.flush(lastIndex: max(tokens.count - 1, 0)).map(\.1).joined()
        if !tail.isEmpty, !tokens.isEmpty { tokens[tokens.count - 1].text += tail }
    }
}
