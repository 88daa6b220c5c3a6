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
    var tokens: [GeneratedToken] = []
    var finish: FinishReason?

    init(prompt: [Int], parameters: GenerationParameters, cache: LlamaKVCache, vocab: Int) {
        self.prompt = prompt
        self.parameters = parameters
        self.cache = cache
        logits = [Float](repeating: 0, count: vocab)
        sampler = TokenSampler(parameters: parameters)
        assembler = TextAssembler(stops: parameters.stop)
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
        let token = work.withUnsafeMutableBufferPointer { sampler.sample($0) }
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
        if assembler.stopped {
            finish = .stop
        } else if tokens.count + 1 >= parameters.maxTokens || cache.count >= min(contextLength, cache.capacity) {
            finish = .length
            text += assembler.flush(lastIndex: tokens.count).map(\.1).joined()
        }
        let generated = GeneratedToken(id: token, text: text, logprob: lp, topLogprobs: alts)
        tokens.append(generated)
        if !emit(generated) && finish == nil { finish = .stop }
        return token
    }

    /// Text still held back when generation ends on an end-of-sequence token.
    private mutating func appendTail() {
        let tail = assembler.flush(lastIndex: max(tokens.count - 1, 0)).map(\.1).joined()
        if !tail.isEmpty, !tokens.isEmpty { tokens[tokens.count - 1].text += tail }
    }
}
