import Foundation
import Hummingbird
import Inference
import NIOCore

/// Server-sent events for `stream: true`: one chunk per token per choice, a final chunk with
/// the finish reason, the usage chunk when asked, then `data: [DONE]`.
extension ModelServer {
    func streamResponse(req: GenerationRequest, meta: ResponseMeta, jobs: [(prompt: Int, choice: Int, parameters: GenerationParameters)],
                        prompts: [PreparedPrompt], promptTokens: Int, generator: GenerationBatcher, slot: RequestQueue.Slot,
                        toolFormat: ToolCallFormat? = nil) -> Response {
        let (events, sink) = AsyncStream<Data>.makeStream()
        let gone = Locked(false)
        let chat = req.chat
        let object = chat ? "chat.completion.chunk" : "text_completion"
        let includeUsage = req.includeUsage
        let wantLogprobs = req.logprobs != nil
        let metrics = self.metrics

        // Chat and completion chunks differ only in their choices.
        @Sendable func chunk<Choice: Encodable & Sendable>(_ choices: [Choice], _ usage: Usage? = nil) -> Data {
            var field = CompletionBody<Choice>.UsageField.absent
            if includeUsage { field = usage.map { .final($0) } ?? .pending }
            return Self.sse(CompletionBody(meta: meta, object: object, choices: choices, usage: field))
        }

        let started = systemMonotonicClock()
        let firstToken = Locked<Double?>(nil)
        if chat {
            for i in jobs.indices {
                sink.yield(chunk([ChatChunkChoiceJSON(index: i, delta: ChatDeltaJSON(role: "assistant", content: ""))]))
            }
        }
        let jobInputs = jobs.map { (prompts[$0.prompt].ids, $0.parameters, prompts[$0.prompt].characters) }
        let tools = chat ? req.tools.flatMap { $0.choice == .none ? nil : $0 } : nil
        Task {
            defer { self.queue.release(slot) }
            do {
                let results = try await withThrowingTaskGroup(of: GenerationResult.self) { group in
                    for (i, input) in jobInputs.enumerated() {
                        let offset = Locked(input.2)
                        let filter = tools.map { Locked(ToolCallStreamFilter(tools: $0, format: toolFormat)) }
                        group.addTask {
                            let r = try await generator.generate(GenerationJob(prompt: input.0, parameters: input.1, onToken: { token in
                                if gone.withLock({ $0 }) { return false }
                                firstToken.withLock { if $0 == nil { $0 = systemMonotonicClock() } }
                                let text = filter.map { f in f.withLock { $0.add(token.text) } } ?? token.text
                                if text.isEmpty && !wantLogprobs { return true }
                                if chat {
                                    sink.yield(chunk([ChatChunkChoiceJSON(index: i, delta: ChatDeltaJSON(content: text),
                                                                          logprobs: OrNull(wantLogprobs ? ChatLogprobsJSON(content: [Self.chatLogprob(token)]) : nil))]))
                                } else {
                                    let at = offset.withLock { o -> Int in defer { o += token.text.count }; return o }
                                    sink.yield(chunk([CompletionChoiceJSON(index: i, finishReason: nil, text: token.text,
                                                                           logprobs: OrNull(wantLogprobs ? Self.completionLogprobs([token], offset: at) : nil))]))
                                }
                                return true
                            }))
                            var finishReason = r.finishReason.rawValue
                            if let (rest, calls) = filter.map({ f in f.withLock { $0.finish() } }) {
                                if !rest.isEmpty {
                                    sink.yield(chunk([ChatChunkChoiceJSON(index: i, delta: ChatDeltaJSON(content: rest))]))
                                }
                                if !calls.isEmpty {
                                    let deltas = calls.enumerated().map { $0.element.json(index: $0.offset) }
                                    sink.yield(chunk([ChatChunkChoiceJSON(index: i, delta: ChatDeltaJSON(toolCalls: deltas))]))
                                    if r.finishReason == .stop { finishReason = "tool_calls" }
                                }
                            }
                            if chat {
                                sink.yield(chunk([ChatChunkChoiceJSON(index: i, delta: ChatDeltaJSON(), finishReason: OrNull(finishReason))]))
                            } else {
                                sink.yield(chunk([CompletionChoiceJSON(index: i, finishReason: OrNull(finishReason), text: "", logprobs: nil)]))
                            }
                            return r
                        }
                    }
                    var all: [GenerationResult] = []
                    for try await r in group { all.append(r) }
                    return all
                }
                self.recordOutcome(model: req.model, success: true)
                // The client left mid-stream: its sequences ended at the next step and the slot is free.
                if gone.withLock({ $0 }) { metrics.countCancelledGeneration(model: req.model) }
                let completion = results.reduce(0) { $0 + $1.completionTokens }
                metrics.count("hf_server_tokens_generated_total", ["model": req.model], by: completion)
                if let t = firstToken.withLock({ $0 }) { metrics.seconds("hf_server_time_to_first_token_seconds", ["model": req.model], t - started) }
                if includeUsage { sink.yield(chunk([ChatChunkChoiceJSON](), Usage(prompt: promptTokens, completion: completion))) }
                sink.yield(Data("data: [DONE]\n\n".utf8))
            } catch {
                self.recordOutcome(model: req.model, success: false, errorType: "inference_failed")
                sink.yield(Self.sse(APIError.server("Generation failed: \(error)", code: "inference_failed").json))
            }
            sink.finish()
        }
        let body = ResponseBody { writer in
            do {
                for await event in events { try await writer.write(ByteBuffer(bytes: event)) }
                try await writer.finish(nil)
            } catch {
                gone.withLock { $0 = true }  // the client left: stop generating for it
                throw error
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func sse(_ value: some Encodable) -> Data {
        var d = Data("data: ".utf8)
        d.append(JSON.encode(value))
        d.append(contentsOf: Array("\n\n".utf8))
        return d
    }
}
