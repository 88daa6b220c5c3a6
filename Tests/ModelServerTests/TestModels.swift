import Foundation
import Inference
import ModelServer

/// Test doubles of the engine protocols, for unit tests of the server's controls (the real models
/// are exercised by the Python integration tests). Deterministic, and they record how they were called.

/// One token per character (ids are Unicode scalars, 0 is EOS).
struct CharTokenizer: TextTokenizer {
    var vocabularySize: Int { 0x11000 }
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int] { text.unicodeScalars.map { Int($0.value) } }
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        String(String.UnicodeScalarView(ids.compactMap { Unicode.Scalar(UInt32($0)) }))
    }
}

final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _batches: [Int] = []
    var failOn: String? = nil
    var delay: Double = 0
    func record(_ n: Int) { lock.lock(); _batches.append(n); lock.unlock() }
    var batches: [Int] { lock.lock(); defer { lock.unlock() }; return _batches }
}

final class FakeEmbedder: EmbeddingModel, @unchecked Sendable {
    let id: String
    let dimensions = 4
    let maxSequenceLength = 64
    let tokenizer: any TextTokenizer = CharTokenizer()
    let memoryBytes: Int
    let recorder: Recorder
    let normalize: Bool
    let matryoshkaDimensions: MatryoshkaDimensions?

    init(id: String = "fake-embed", memoryBytes: Int = 1000, recorder: Recorder = Recorder(),
         normalize: Bool = false, matryoshka: MatryoshkaDimensions? = nil) {
        self.id = id
        self.memoryBytes = memoryBytes
        self.recorder = recorder
        self.normalize = normalize
        self.matryoshkaDimensions = matryoshka
    }

    /// A vector that depends only on the text, never on its batch.
    static func vector(_ text: String) -> [Float] {
        let s = text.unicodeScalars.map { Float($0.value) }
        return [Float(s.count), s.reduce(0, +), s.first ?? 0, s.last ?? 0]
    }

    func embed(_ texts: [String]) throws -> [[Float]] {
        recorder.record(texts.count)
        if recorder.delay > 0 { Thread.sleep(forTimeInterval: recorder.delay) }
        if let bad = recorder.failOn, texts.contains(bad) { throw TestFailure.bad(bad) }
        return texts.map { normalize ? Self.unit(Self.vector($0)) : Self.vector($0) }
    }

    static func unit(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
}

enum TestFailure: Error { case bad(String) }

/// Generates the prompt's characters back in reverse, one per step, seeded noise when temperature > 0.
final class FakeGenerator: TextGenerationModel, @unchecked Sendable {
    let id: String
    let contextLength = 256
    let tokenizer: any TextTokenizer = CharTokenizer()
    let memoryBytes: Int
    let recorder: Recorder

    init(id: String = "fake-gen", memoryBytes: Int = 2000, recorder: Recorder = Recorder()) {
        self.id = id
        self.memoryBytes = memoryBytes
        self.recorder = recorder
    }

    func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        messages.map { "<\($0.role)>\($0.content)" }.joined() + (addGenerationPrompt ? "<assistant>" : "")
    }

    private func step(_ prompt: [Int], _ i: Int, _ p: GenerationParameters) -> GeneratedToken {
        var id = prompt[prompt.count - 1 - (i % prompt.count)]
        if p.temperature > 0 {
            var g = SplitMix(seed: (p.seed ?? UInt64.random(in: 0...UInt64.max)) &+ UInt64(i))
            id = 97 + Int(g.next() % 26)
        }
        let text = tokenizer.decode([id], skipSpecialTokens: true)
        let tops = (0..<(p.topLogprobs ?? 0)).map { TokenLogprob(id: id + $0, text: tokenizer.decode([id + $0], skipSpecialTokens: true), logprob: -Float($0) - 0.5) }
        return GeneratedToken(id: id, text: text, logprob: -0.5, topLogprobs: tops)
    }

    func generate(prompt: [Int], parameters: GenerationParameters, onToken: (GeneratedToken) -> Bool) throws -> GenerationResult {
        recorder.record(1)
        return try run(prompt, parameters, onToken)
    }

    private func run(_ prompt: [Int], _ parameters: GenerationParameters, _ onToken: (GeneratedToken) -> Bool) throws -> GenerationResult {
        if let bad = recorder.failOn, tokenizer.decode(prompt, skipSpecialTokens: false).contains(bad) { throw TestFailure.bad(bad) }
        var tokens: [GeneratedToken] = []
        var text = ""
        for i in 0..<parameters.maxTokens {
            let t = step(prompt, i, parameters)
            let candidate = text + t.text
            if let stop = parameters.stop.first(where: { candidate.contains($0) }) {
                text = String(candidate[..<candidate.range(of: stop)!.lowerBound])
                return GenerationResult(text: text, tokens: tokens, finishReason: .stop, promptTokens: prompt.count)
            }
            tokens.append(t)
            text = candidate
            if !onToken(t) { break }
            if recorder.delay > 0 { Thread.sleep(forTimeInterval: recorder.delay) }
        }
        return GenerationResult(text: text, tokens: tokens, finishReason: .length, promptTokens: prompt.count)
    }

    func generateBatch(prompts: [[Int]], parameters: [GenerationParameters], onToken: (Int, GeneratedToken) -> Bool) throws -> [GenerationResult] {
        recorder.record(prompts.count)
        return try prompts.indices.map { i in try run(prompts[i], parameters[i]) { onToken(i, $0) } }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// A ModelSource over the doubles: "embed", "gen", "broken" (which fails to load) and the
/// Matryoshka embedders "embed-mrl" and "embed-mrl-any".
func fakeSource(embedRecorder: Recorder = Recorder(), genRecorder: Recorder = Recorder(), loads: Recorder = Recorder()) -> ModelSource {
    ModelSource(
        resolve: { name in
            guard ["embed", "gen", "broken", "embed2", "embed3", "embed-mrl", "embed-mrl-any"].contains(name) else { throw ModelServerError.modelNotFound("no such test model") }
            return URL(fileURLWithPath: "/nonexistent/\(name)")
        },
        load: { url, name in
            loads.record(1)
            switch url.lastPathComponent {
            case "broken": throw TestFailure.bad("corrupt weights")
            case "gen": return .generation(FakeGenerator(id: name, recorder: genRecorder))
            // Matryoshka doubles: unit vectors, shortenable to 2 only, or to any width.
            case "embed-mrl": return .embedding(FakeEmbedder(id: name, recorder: embedRecorder, normalize: true, matryoshka: .only([2])))
            case "embed-mrl-any": return .embedding(FakeEmbedder(id: name, recorder: embedRecorder, normalize: true, matryoshka: .any))
            default: return .embedding(FakeEmbedder(id: name, recorder: embedRecorder))
            }
        })
}
