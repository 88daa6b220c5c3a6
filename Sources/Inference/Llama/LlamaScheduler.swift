import Foundation

/// Continuous batching: sequences join and leave between forward passes.
///
/// One thread owns the model's compute. Each step it admits waiting requests (up to
/// `maxSequences` in flight), then runs one forward pass holding a decode row for every
/// sequence that has a next token and as many prompt rows of newly admitted sequences as fit in
/// the pass. A request arriving while others generate therefore starts at the next step instead
/// of waiting for the whole batch to finish, and a finished or abandoned sequence frees its slot
/// at once. Rows of a pass are computed independently, so every sequence gets exactly the tokens
/// `generate` alone would give it.
final class LlamaScheduler: @unchecked Sendable {   // mutable state is guarded by `lock` or owned by the loop thread
    struct Request {
        let prompt: [Int]
        let parameters: GenerationParameters
        let onToken: @Sendable (GeneratedToken) -> Bool
        let observeBatch: @Sendable (Int) -> Void
        let completion: @Sendable (Result<GenerationResult, any Error>) -> Void
    }

    /// A sequence in flight, owned by the loop thread.
    private struct Active {
        var sequence: LlamaSequence
        let request: Request
        /// Prompt tokens already run through the model.
        var fed = 0
        /// `sequence.logits` holds the distribution for the next token.
        var hasLogits = false
        /// The token sampled last, to run in the next pass.
        var next: Int?
        /// Most sequences that shared a pass with this one.
        var peakBatch = 0
    }

    private unowned let model: LlamaModel
    /// Most sequences in flight at once; the workspace is sized for it when the loop starts.
    private var maxSequences: Int            // guarded by lock
    private let lock = NSCondition()
    private var waiting: [Request] = []      // guarded by lock
    private var started = false              // guarded by lock
    /// Sequences in flight, for metrics; written by the loop thread under lock.
    private var inFlight = 0
    /// Prompt prefixes reused, for metrics and tests; written by the loop thread under lock.
    private var prefixStats = (hits: 0, tokens: 0)
    /// Owned by the loop thread.
    private let prefixCache: LlamaPrefixCache

    init(model: LlamaModel, prefixCacheBytes: Int) {
        self.model = model
        maxSequences = 8
        prefixCache = LlamaPrefixCache(budgetBytes: prefixCacheBytes)
    }

    var activeSequences: Int { lock.lock(); defer { lock.unlock() }; return inFlight }
    /// Requests that started from a stored prompt prefix, and the positions they skipped.
    var prefixReuse: (hits: Int, tokens: Int) { lock.lock(); defer { lock.unlock() }; return prefixStats }

    func submit(_ request: Request, maxSequences limit: Int) {
        do {
            try model.validateRequest(prompt: request.prompt, parameters: request.parameters)
        } catch {
            request.completion(.failure(error))
            return
        }
        lock.lock()
        waiting.append(request)
        if !started {
            maxSequences = max(1, limit)
            started = true
            let t = Thread { [self] in loop() }
            t.name = "llama-scheduler-\(model.id)"
            t.start()
        }
        lock.signal()
        lock.unlock()
    }

    private func loop() {
        let c = model.config
        lock.lock()
        let maxSequences = self.maxSequences
        lock.unlock()
        let ws = model.makeWorkspace(rows: LlamaModel.prefillChunk + maxSequences, logitRows: maxSequences,
                                     positions: c.contextLength)
        let forward = model.forward
        var active: [Active] = []
        while true {
            lock.lock()
            // An idle loop ends after a while, so an unloaded model leaves no thread behind.
            while active.isEmpty && waiting.isEmpty {
                if !lock.wait(until: Date().addingTimeInterval(5)) && waiting.isEmpty {
                    started = false
                    inFlight = 0
                    lock.unlock()
                    return
                }
            }
            while active.count < maxSequences, !waiting.isEmpty {
                let r = waiting.removeFirst()
                let cache = LlamaKVCache(layers: c.layers, capacity: min(c.contextLength, r.prompt.count + r.parameters.maxTokens),
                                         kvDim: c.kvDim)
                let reused = r.prompt.count > 1 ? prefixCache.fill(cache, for: r.prompt) : 0
                active.append(Active(sequence: LlamaSequence(prompt: r.prompt, parameters: r.parameters, cache: cache, vocab: c.vocab),
                                     request: r, fed: reused))
            }
            inFlight = active.count
            prefixStats = (prefixCache.hits, prefixCache.reusedTokens)
            lock.unlock()

            // Sample and stream; finished sequences leave, the others feed their token next.
            for i in active.indices {
                if active[i].sequence.parameters.maxTokens == 0 { active[i].sequence.finish = .length; continue }
                guard active[i].hasLogits else { continue }
                let request = active[i].request
                active[i].next = active[i].sequence.step(tokenizer: model.bpe, contextLength: c.contextLength) { request.onToken($0) }
                active[i].hasLogits = false
            }
            for a in active where a.sequence.finish != nil {
                if a.fed == a.sequence.prompt.count && a.sequence.prompt.count > 1 {
                    prefixCache.store(prompt: a.sequence.prompt, cache: a.sequence.cache)
                }
                a.request.observeBatch(max(1, a.peakBatch))
                a.request.completion(.success(a.sequence.result))
            }
            active.removeAll { $0.sequence.finish != nil }

            // One decode row per sequence with a next token; logits come back in row order.
            var rows: [LlamaBatchRow] = []
            var owners: [Int] = []
            var inPass = Set<Int>()
            for i in active.indices {
                guard let token = active[i].next else { continue }
                active[i].next = nil
                rows.append(LlamaBatchRow(token: token, cache: active[i].sequence.cache,
                                          position: active[i].sequence.cache.count, wantLogits: true))
                owners.append(i)
                inPass.insert(i)
            }

            // Prompt rows of sequences still being prefilled, as many as the pass has room for.
            var budget = ws.rows - rows.count
            for i in active.indices where budget > 0 && active[i].fed < active[i].sequence.prompt.count {
                let prompt = active[i].sequence.prompt
                let end = min(prompt.count, active[i].fed + budget)
                for j in active[i].fed..<end {
                    rows.append(LlamaBatchRow(token: prompt[j], cache: active[i].sequence.cache, position: j,
                                              wantLogits: j == prompt.count - 1, multiToken: prompt.count > 1))
                    if j == prompt.count - 1 { owners.append(i) }
                }
                inPass.insert(i)
                budget -= end - active[i].fed
                active[i].fed = end
            }
            if rows.isEmpty { continue }
            forward.run(rows, ws: ws)
            for i in inPass { active[i].peakBatch = max(active[i].peakBatch, inPass.count) }
            for (m, i) in owners.enumerated() {
                active[i].sequence.takeLogits(ws.logits + m * c.vocab)
                active[i].hasLogits = true
            }
        }
    }
}

extension LlamaModel {
    /// Checks one request as `generateBatch` does, before it is queued.
    func validateRequest(prompt: [Int], parameters par: GenerationParameters) throws {
        try validate(prompt: prompt, maxTokens: par.maxTokens)
        guard par.temperature >= 0, par.temperature.isFinite else { throw LlamaError.invalidParameters("temperature must be >= 0") }
        guard par.topP > 0, par.topP <= 1 else { throw LlamaError.invalidParameters("top_p must be in (0, 1]") }
        if let k = par.topLogprobs, k < 0 || k > 20 { throw LlamaError.invalidParameters("top_logprobs must be in 0...20") }
    }
}
