import CKernels
import Foundation
import Inference
import Testing

@Suite(.serialized) struct LlamaGenerationTests {
    @Test func capitalOfFranceContinuesWithParis() throws {
        let m = try SmolLM.load()
        let r = try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: greedy(4)) { _ in true }
        #expect(r.text.hasPrefix(" Paris."))
    }

    @Test func greedyTokensEqualLlamaCpp() throws {
        let m = try SmolLM.load()
        let fx = try SmolLM.fixture("greedy") as! [String: Any]
        for c in fx["cases"] as! [[String: Any]] {
            let prompt = (c["prompt_ids"] as! [NSNumber]).map(\.intValue)
            let want = (c["greedy_ids"] as! [NSNumber]).map(\.intValue)
            #expect(m.tokenizer.encode(c["prompt"] as! String, addSpecialTokens: true) == prompt)
            let got = try m.generate(prompt: prompt, parameters: greedy(32)) { _ in true }.tokens.map(\.id)
            let firstDiff = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(got == want, "\(c["prompt"] as! String): first difference at token \(firstDiff.map(String.init) ?? "end"); llama.cpp \(want), ours \(got)")
        }
    }

    @Test func lastTokenLogitsMatchLlamaCpp() throws {
        let m = try SmolLM.load()
        let fx = try SmolLM.fixture("greedy") as! [String: Any]
        for c in fx["cases"] as! [[String: Any]] {
            let prompt = (c["prompt_ids"] as! [NSNumber]).map(\.intValue)
            let logits = try m.logits(for: prompt)
            for pair in c["top_logits"] as! [[NSNumber]] {
                let id = pair[0].intValue, want = pair[1].floatValue
                #expect(abs(logits[id] - want) <= 1e-4, "token \(id): llama.cpp \(want), ours \(logits[id])")
            }
        }
    }

    @Test func portableKernelsGiveTheSameLogitsAsAVX2() throws {
        let m = try SmolLM.load()
        let prompt = [504, 3575, 282, 4649, 314]
        let fast = try m.logits(for: prompt)
        ck_force_portable(1)
        defer { ck_force_portable(0) }
        let slow = try m.logits(for: prompt)
        #expect(fast == slow)
    }

    @Test func chatTemplateRendersAsLlamaCppDoes() throws {
        let m = try SmolLM.load()
        let fx = try SmolLM.fixture("chat") as! [String: Any]
        let msgs = (fx["messages"] as! [[String: String]]).map { ChatMessage(role: $0["role"]!, content: $0["content"]!) }
        #expect(try m.renderChat(msgs, addGenerationPrompt: true) == fx["rendered"] as! String)
        let multi = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi"),
                     ChatMessage(role: "assistant", content: "Hello!"), ChatMessage(role: "user", content: "Bye")]
        #expect(try m.renderChat(multi, addGenerationPrompt: true) == fx["rendered_with_system"] as! String)
    }

    @Test func chatAnswerEqualsLlamaCpp() throws {
        let m = try SmolLM.load()
        let fx = try SmolLM.fixture("chat") as! [String: Any]
        let prompt = m.tokenizer.encode(fx["rendered"] as! String, addSpecialTokens: true)
        #expect(prompt == (fx["prompt_ids"] as! [NSNumber]).map(\.intValue))
        let r = try m.generate(prompt: prompt, parameters: greedy((fx["max_tokens"] as! NSNumber).intValue)) { _ in true }
        #expect(r.text == fx["answer"] as! String)
    }

    @Test func ignoreEOSGeneratesExactlyMaxTokensPastTheEnd() throws {
        let m = try SmolLM.load()
        let prompt = m.tokenizer.encode(try m.renderChat([ChatMessage(role: "user", content: "Say hi.")], addGenerationPrompt: true),
                                        addSpecialTokens: true)
        let natural = try m.generate(prompt: prompt, parameters: greedy(200)) { _ in true }
        #expect(natural.finishReason == .stop, "the chat answer should end at end-of-sequence within 200 tokens")
        var p = greedy(natural.completionTokens + 8)
        p.ignoreEOS = true
        let forced = try m.generate(prompt: prompt, parameters: p) { _ in true }
        #expect(forced.completionTokens == natural.completionTokens + 8)
        #expect(forced.finishReason == .length)
        #expect(Array(forced.tokens.prefix(natural.completionTokens)) == natural.tokens.prefix(natural.completionTokens).map { $0 })
    }

    @Test func continuousBatchingAdmitsLateSequencesAndGivesTheirSoloTokens() throws {
        let m = try SmolLM.load()
        let prompts = [[504, 3575, 282, 4649, 314], m.tokenizer.encode("Once upon a time", addSpecialTokens: true),
                       m.tokenizer.encode("def add(a, b):", addSpecialTokens: true)]
        var sampled = GenerationParameters()
        sampled.maxTokens = 10; sampled.temperature = 0.8; sampled.topP = 0.9; sampled.seed = 11
        let params = [greedy(24), sampled, greedy(0)]
        let results = TestLocked<[Int: GenerationResult]>([:])
        let done = DispatchSemaphore(value: 0)
        let lateStarted = DispatchSemaphore(value: 0)
        let firstTokens = TestLocked(0)
        let submitLate: @Sendable () -> Void = {
            for i in 1..<3 {
                m.submit(prompt: prompts[i], parameters: params[i], maxSequences: 4, onToken: { _ in true }) { r in
                    results.withLock { $0[i] = try? r.get() }
                    done.signal()
                }
            }
        }
        // The later sequences arrive while the first is generating.
        m.submit(prompt: prompts[0], parameters: params[0], maxSequences: 4, onToken: { _ in
            if firstTokens.withLock({ $0 += 1; return $0 }) == 3 { lateStarted.signal() }
            return true
        }) { r in
            results.withLock { $0[0] = try? r.get() }
            done.signal()
        }
        lateStarted.wait()
        submitLate()
        for _ in 0..<3 { done.wait() }
        let got = results.withLock { $0 }
        for i in 0..<3 {
            let solo = try m.generate(prompt: prompts[i], parameters: params[i]) { _ in true }
            #expect(got[i] == solo, "sequence \(i)")
        }
    }

    @Test func aRepeatedSystemPromptIsReusedAndChangesNoToken() throws {
        let m = try SmolLM.load()
        let system = "You are a careful assistant for a marine research station. Answer in one short sentence, "
            + "cite no sources, and say when you do not know."
        func ask(_ q: String) throws -> [Int] {
            m.tokenizer.encode(try m.renderChat([ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: q)],
                                                addGenerationPrompt: true), addSpecialTokens: true)
        }
        var p = greedy(12)
        p.topLogprobs = 3
        func viaScheduler(_ prompt: [Int]) -> GenerationResult? {
            let out = TestLocked<GenerationResult?>(nil)
            let done = DispatchSemaphore(value: 0)
            m.submit(prompt: prompt, parameters: p, maxSequences: 4, onToken: { _ in true }) { r in
                out.withLock { $0 = try? r.get() }
                done.signal()
            }
            done.wait()
            return out.withLock { $0 }
        }
        let first = try ask("What is a tide?"), second = try ask("Why is the sea salty?")
        let shared = zip(first, second).prefix { $0 == $1 }.count
        #expect(shared >= 30)
        let before = m.prefixReuse
        _ = viaScheduler(first)
        let answer = viaScheduler(second)
        let after = m.prefixReuse
        #expect(after.hits == before.hits + 1)
        #expect(after.tokens - before.tokens == shared)
        // Bit-identical to computing the whole prompt: same tokens, same log-probabilities.
        #expect(answer == (try m.generate(prompt: second, parameters: p) { _ in true }))
    }

    @Test func continuousBatchingEndsASequenceWhoseCallerLeaves() throws {
        let m = try SmolLM.load()
        let done = DispatchSemaphore(value: 0)
        let result = TestLocked<GenerationResult?>(nil)
        m.submit(prompt: [504, 3575, 282, 4649, 314], parameters: greedy(50), maxSequences: 2, onToken: { _ in false }) { r in
            result.withLock { $0 = try? r.get() }
            done.signal()
        }
        done.wait()
        #expect(result.withLock { $0 }?.completionTokens == 1)
        #expect(result.withLock { $0 }?.finishReason == .stop)
    }

    @Test func batchedGenerationEqualsOneAtATime() throws {
        let m = try SmolLM.load()
        let prompts = [[504, 3575, 282, 4649, 314], m.tokenizer.encode("Once upon a time", addSpecialTokens: true),
                       m.tokenizer.encode("def add(a, b):", addSpecialTokens: true)]
        var sampled = GenerationParameters()
        sampled.maxTokens = 12; sampled.temperature = 0.8; sampled.topP = 0.9; sampled.seed = 7
        let params = [greedy(12), sampled, greedy(6)]
        var streamed: [[Int]] = Array(repeating: [], count: 3)
        let batch = try m.generateBatch(prompts: prompts, parameters: params) { i, t in streamed[i].append(t.id); return true }
        for i in 0..<3 {
            let single = try m.generate(prompt: prompts[i], parameters: params[i]) { _ in true }
            #expect(batch[i] == single)
            #expect(streamed[i] == single.tokens.map(\.id))
        }
    }

    @Test func seededSamplingRepeatsAndSeedsDiffer() throws {
        let m = try SmolLM.load()
        var p = GenerationParameters()
        p.maxTokens = 16; p.temperature = 1.0; p.seed = 42
        let a = try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: p) { _ in true }
        let b = try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: p) { _ in true }
        #expect(a.tokens.map(\.id) == b.tokens.map(\.id))
        var outputs = Set<[Int]>()
        for s in 1...4 as ClosedRange<UInt64> {
            p.seed = s
            outputs.insert(try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: p) { _ in true }.tokens.map(\.id))
        }
        #expect(outputs.count > 1)
    }

    @Test func stopSequenceEndsTheTextBeforeIt() throws {
        let m = try SmolLM.load()
        var p = greedy(32)
        p.stop = ["."]
        var streamed = ""
        let r = try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: p) { streamed += $0.text; return true }
        #expect(r.text == " Paris")
        #expect(streamed == r.text)
        #expect(r.finishReason == .stop)
    }

    @Test func logprobsAreDistributionValues() throws {
        let m = try SmolLM.load()
        var p = greedy(5)
        p.topLogprobs = 5
        let r = try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: p) { _ in true }
        for t in r.tokens {
            #expect(t.logprob <= 0)
            #expect(t.topLogprobs.count == 5)
            // greedy: the chosen token is the most likely alternative
            #expect(t.topLogprobs.first?.id == t.id)
            #expect(abs(t.topLogprobs[0].logprob - t.logprob) < 1e-5)
            let mass = t.topLogprobs.reduce(0) { $0 + exp(Double($1.logprob)) }
            #expect(mass <= 1.0001)
        }
    }

    @Test func penaltiesDiscourageRepeats() throws {
        let m = try SmolLM.load()
        let prompt = m.tokenizer.encode("List the numbers: one, one, one, one,", addSpecialTokens: true)
        let plain = try m.generate(prompt: prompt, parameters: greedy(16)) { _ in true }
        var p = greedy(16)
        p.frequencyPenalty = 2
        let penalised = try m.generate(prompt: prompt, parameters: p) { _ in true }
        let repeats = { (ids: [Int]) in ids.count - Set(ids).count }
        #expect(repeats(penalised.tokens.map(\.id)) <= repeats(plain.tokens.map(\.id)))
        #expect(penalised.tokens.map(\.id) != plain.tokens.map(\.id))
    }

    @Test func promptLongerThanContextIsATypedError() throws {
        let m = try SmolLM.load()
        let long = [Int](repeating: 504, count: m.contextLength + 1)
        #expect(throws: LlamaError.promptTooLong(tokens: m.contextLength + 1, context: m.contextLength)) {
            _ = try m.generate(prompt: long, parameters: greedy(1)) { _ in true }
        }
        #expect(throws: LlamaError.emptyPrompt) { _ = try m.generate(prompt: [], parameters: greedy(1)) { _ in true } }
    }

    @Test func streamingCanStopEarly() throws {
        let m = try SmolLM.load()
        var n = 0
        let r = try m.generate(prompt: [504, 3575, 282, 4649, 314], parameters: greedy(20)) { _ in n += 1; return n < 3 }
        #expect(r.tokens.count == 3)
    }
}
