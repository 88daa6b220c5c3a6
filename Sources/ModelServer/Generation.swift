import Foundation
import Hummingbird
import Inference
import NIOCore
import HTTPSupport

/// /v1/completions and /v1/chat/completions.
extension ModelServer {
    struct PreparedPrompt: Sendable {
        var ids: [Int]
        var characters: Int
    }

    func generation(_ object: [String: JSONValue], body: ByteBuffer, chat: Bool, caller: Caller) async throws(APIError) -> Response {
        // Tool schemas and JSON schemas keep the client's key order (the prompt's `tojson`, the
        // output's property order); Foundation's decoder does not keep it.
        let data = Data(body.readableBytesView)
        var ordered: JinjaValue? = nil
        if chat, object["tools"] != nil || object["response_format"] != nil {
            ordered = try? JinjaValue.parseJSON(String(decoding: data, as: UTF8.self))
        }
        var req = try GenerationRequest.parse(data, chat: chat, ordered: ordered)
        if let tools = req.tools, let g = try tools.grammar() { req.parameters.grammar = g }
        let endpoint = chat ? "chat_completions" : "completions"
        try checkBreaker(req.model)
        var cacheKey: String? = nil
        if config.enableCaching && req.cacheable {
            switch cacheLookup(endpoint: endpoint, model: req.model, request: object) {
            case .hit(let response): return response
            case .miss(let key): cacheKey = key
            }
        }
        let slot = try await admit(model: req.model, priority: caller.priority)
        var handedOver = false
        defer { if !handedOver { queue.release(slot) } }

        let handle = try await model(req.model)
        guard case .generation(let lm) = handle.model, let generator = handle.generator else {
            throw APIError.invalid("The model '\(req.model)' is an embedding model; use /v1/embeddings.", param: "model", code: "wrong_model_type")
        }
        var prompts: [PreparedPrompt] = []
        var toolFormat: ToolCallFormat? = nil
        if chat {
            let prompt = try ChatPrompt.render(req, model: lm)
            toolFormat = prompt.format
            prompts = [PreparedPrompt(ids: lm.tokenizer.encode(prompt.text, addSpecialTokens: false), characters: prompt.text.count)]
        } else {
            for p in req.prompts {
                switch p {
                case .text(let t): prompts.append(PreparedPrompt(ids: lm.tokenizer.encode(t, addSpecialTokens: true), characters: t.count))
                case .tokens(let ids):
                    guard ids.allSatisfy({ $0 < lm.tokenizer.vocabularySize }) else {
                        throw APIError.invalid("A token id in 'prompt' is outside the model's vocabulary of \(lm.tokenizer.vocabularySize).", param: "prompt")
                    }
                    prompts.append(PreparedPrompt(ids: ids, characters: lm.tokenizer.decode(ids, skipSpecialTokens: false).count))
                }
            }
        }
        if let bad = req.parameters.logitBias.keys.first(where: { $0 >= lm.tokenizer.vocabularySize }) {
            throw APIError.invalid("'logit_bias' names token \(bad), outside the model's vocabulary of \(lm.tokenizer.vocabularySize).", param: "logit_bias")
        }
        var jobs: [(prompt: Int, choice: Int, parameters: GenerationParameters)] = []
        for (pi, prompt) in prompts.enumerated() {
            guard !prompt.ids.isEmpty else { throw APIError.invalid("The prompt is empty after tokenization.", param: chat ? "messages" : "prompt") }
            let room = lm.contextLength - prompt.ids.count
            guard room > 0 else {
                throw APIError.invalid("This model's maximum context length is \(lm.contextLength) tokens; the prompt has \(prompt.ids.count).",
                                       param: chat ? "messages" : "prompt", code: "context_length_exceeded")
            }
            for choice in 0..<req.n {
                var p = req.parameters
                if !req.maxTokensGiven { p.maxTokens = chat ? config.defaultMaxTokens : 16 }
                p.maxTokens = min(p.maxTokens, room)
                // Each choice its own seed, derived from the caller's so the whole answer repeats.
                if let seed = req.parameters.seed { p.seed = seed &+ UInt64(pi * req.n + choice) }
                jobs.append((pi, choice, p))
            }
        }
        let promptTokens = prompts.reduce(0) { $0 + $1.ids.count }
        metrics.count("hf_server_prompt_tokens_total", ["model": req.model], by: promptTokens)
        let meta = ResponseMeta(id: (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                                created: Int(Date().timeIntervalSince1970), model: req.model, chat: chat)

        if req.stream {
            handedOver = true
            return streamResponse(req: req, meta: meta, jobs: jobs, prompts: prompts, promptTokens: promptTokens,
                                  generator: generator, slot: slot, toolFormat: toolFormat)
        }

        let started = systemMonotonicClock()
        let firstToken = Locked<Double?>(nil)
        let results: [GenerationResult]
        do {
            let cancelled = Locked(false)
            results = try await withTaskCancellationHandler { try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
                for (i, job) in jobs.enumerated() {
                    let ids = prompts[job.prompt].ids
                    let params = job.parameters
                    group.addTask {
                        let r = try await generator.generate(GenerationJob(prompt: ids, parameters: params, onToken: { _ in
                            firstToken.withLock { if $0 == nil { $0 = systemMonotonicClock() } }
                            return !cancelled.withLock { $0 }
                        }))
                        return (i, r)
                    }
                }
                var out = [GenerationResult?](repeating: nil, count: jobs.count)
                for try await (i, r) in group { out[i] = r }
                return out.map { $0! }
            } } onCancel: { cancelled.withLock { $0 = true } }
            if cancelled.withLock({ $0 }) {
                metrics.countCancelledGeneration(model: req.model)
                throw CancellationError()
            }
        } catch is CancellationError {
            throw APIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), message: "The request was cancelled.",
                           type: "invalid_request_error", code: "cancelled")
        } catch {
            recordOutcome(model: req.model, success: false, errorType: "inference_failed")
            throw APIError.server("Generation failed: \(error)", code: "inference_failed")
        }
        recordOutcome(model: req.model, success: true)
        if let t = firstToken.withLock({ $0 }) { metrics.seconds("hf_server_time_to_first_token_seconds", ["model": req.model], t - started) }
        let completionTokens = results.reduce(0) { $0 + $1.completionTokens }
        metrics.count("hf_server_tokens_generated_total", ["model": req.model], by: completionTokens)

        let encoded: Data
        if chat {
            var choices: [ChatChoiceJSON] = []
            for (i, r) in results.enumerated() {
                var c = ChatChoiceJSON(index: i, finishReason: r.finishReason.rawValue, message: ChatMessageJSON(content: OrNull(r.text)),
                                       logprobs: OrNull(req.logprobs.map { _ in ChatLogprobsJSON(content: r.tokens.map(Self.chatLogprob)) }))
                if let answer = ToolAnswer(text: r.text, tools: req.tools, format: toolFormat), !answer.calls.isEmpty {
                    c.message.content = OrNull(answer.content)
                    c.message.toolCalls = answer.calls.map { $0.json() }
                    if r.finishReason == .stop { c.finishReason = "tool_calls" }
                }
                choices.append(c)
            }
            encoded = JSON.encode(CompletionBody(meta: meta, object: "chat.completion", choices: choices,
                                              usage: .final(Usage(prompt: promptTokens, completion: completionTokens))))
        } else {
            let choices = results.enumerated().map { i, r in
                CompletionChoiceJSON(index: i, finishReason: OrNull(r.finishReason.rawValue), text: r.text,
                                     logprobs: OrNull(req.logprobs.map { _ in Self.completionLogprobs(r.tokens, offset: prompts[jobs[i].prompt].characters) }))
            }
            encoded = JSON.encode(CompletionBody(meta: meta, object: "text_completion", choices: choices,
                                              usage: .final(Usage(prompt: promptTokens, completion: completionTokens))))
        }
        if let cacheKey { cache.put(cacheKey, encoded) }
        return Self.jsonResponse(encoded)
    }

    enum CacheLookup { case hit(Response), miss(key: String) }

    /// The response cache for one request: a stored answer (counted as a hit), or the key under
    /// which to store the answer about to be computed (counted as a miss).
    func cacheLookup(endpoint: String, model: String, request object: [String: JSONValue]) -> CacheLookup {
        let key = ResponseCache.key(endpoint: endpoint, model: model, canonicalRequest: JSON.canonical(object))
        if let hit = cache.get(key) {
            metrics.count("hf_server_cache_hits_total", ["cache_type": "response"])
            return .hit(Self.cachedResponse(hit))
        }
        metrics.count("hf_server_cache_misses_total", ["cache_type": "response"])
        return .miss(key: key)
    }

    static func cachedResponse(_ data: Data) -> Response {
        var r = jsonResponse(data)
        r.headers[.init("X-Cache")!] = "HIT"
        return r
    }

    static func jsonResponse(_ data: Data) -> Response { JSONResponse.make(data: data) }
}

struct ResponseMeta: Sendable {
    var id: String
    var created: Int
    var model: String
    var chat: Bool
}
