import CKernels
import Foundation

public enum LlamaError: Error, CustomStringConvertible, Equatable {
    case emptyPrompt
    case promptTooLong(tokens: Int, context: Int)
    case invalidToken(Int)
    case invalidParameters(String)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt is empty: give at least one token"
        case .promptTooLong(let t, let c): return "the prompt has \(t) tokens but the model's context holds \(c); shorten it"
        case .invalidToken(let t): return "token id \(t) is outside the vocabulary"
        case .invalidParameters(let m): return "invalid generation parameters: \(m)"
        }
    }
}

/// A Llama-architecture decoder from a GGUF file, computing directly on its quantised weights.
public final class LlamaModel: ContinuousBatchingModel, @unchecked Sendable {   // immutable after load
    public let id: String
    public let config: LlamaConfig
    public let bpe: BPETokenizer
    /// The model's own chat template, interpreted as transformers renders it; nil when the file
    /// has none or the template does not parse (`chatTemplateProblem` says why).
    public let chatTemplate: ChatTemplateRenderer?
    public let chatTemplateProblem: String?
    /// The raw Jinja chat template from the file, if any.
    public let chatTemplateSource: String?
    let gguf: GGUFFile
    let weights: LlamaWeights
    /// Worker threads for matrix products and attention (all cores, at most 8).
    public let threads: Int
    /// The continuous-batching loop behind `submit` (its thread runs only while there is work).
    private(set) var scheduler: LlamaScheduler!

    public var contextLength: Int { config.contextLength }
    public var tokenizer: any TextTokenizer { bpe }
    public var memoryBytes: Int { gguf.fileSize }

    init(gguf: GGUFFile, id: String) throws {
        self.gguf = gguf
        self.id = id
        config = try LlamaConfig(gguf: gguf)
        weights = try LlamaWeights(gguf: gguf, config: config)
        let tokenizer = try BPETokenizer(gguf: gguf)
        bpe = tokenizer
        chatTemplateSource = gguf.metadata["tokenizer.chat_template"]?.string
        // A template this engine cannot render fails the chat request, not the model's load.
        let tokens = tokenizer.tokens
        let special = { (id: Int?) -> String? in id.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil } }
        var problem: String? = nil
        chatTemplate = chatTemplateSource.flatMap { source in
            do { return try ChatTemplateRenderer(template: source, bosToken: special(tokenizer.bosId), eosToken: special(tokenizer.eosId)) }
            catch { problem = "\(error)"; return nil }
        }
        chatTemplateProblem = problem
        threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        scheduler = LlamaScheduler(model: self, prefixCacheBytes: Self.prefixCacheBytes)
    }

    /// Memory for prompt prefixes kept for reuse by later requests.
    public static let prefixCacheBytes = 256 << 20

    /// Requests that started from a stored prompt prefix, and the prompt positions they skipped.
    public var prefixReuse: (hits: Int, tokens: Int) { scheduler.prefixReuse }

    public func submit(prompt: [Int], parameters: GenerationParameters, maxSequences: Int,
                       onToken: @escaping @Sendable (GeneratedToken) -> Bool,
                       observeBatch: @escaping @Sendable (Int) -> Void,
                       completion: @escaping @Sendable (Result<GenerationResult, any Error>) -> Void) {
        scheduler.submit(.init(prompt: prompt, parameters: parameters, onToken: onToken, observeBatch: observeBatch,
                               completion: completion),
                         maxSequences: maxSequences)
    }

    /// Loads a GGUF file. `id` defaults to the file name without extension.
    public static func load(gguf url: URL, id: String?) throws -> LlamaModel {
        let file = try GGUFFile(path: url.path)
        return try LlamaModel(gguf: file, id: id ?? url.deletingPathExtension().lastPathComponent)
    }

    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        try renderChat(messageValues: ChatTemplateRenderer.values(messages), tools: nil, addGenerationPrompt: addGenerationPrompt)
    }

    public func renderChat(messageValues: [JinjaValue], tools: [JinjaValue]?, addGenerationPrompt: Bool) throws -> String {
        guard let chatTemplate else {
            if chatTemplateSource == nil { throw ChatTemplateError.missing }
            throw ChatTemplateError.unsupported(chatTemplateProblem ?? "the template does not parse")
        }
        do {
            return try chatTemplate.render(messageValues: messageValues, addGenerationPrompt: addGenerationPrompt, tools: tools)
        } catch JinjaError.raised(let message) {
            throw ChatTemplateError.rejected(message)
        } catch {
            throw ChatTemplateError.unsupported("\(error)")
        }
    }

    public var chatTemplateText: String? { chatTemplateSource }

    /// Logits after `tokens` (a fresh sequence), for tests and tools. `oneAtATime` feeds the
    /// tokens in separate forward passes, as generation does after the prompt.
    public func logits(for tokens: [Int], oneAtATime: Bool = false) throws -> [Float] {
        try validate(prompt: tokens, maxTokens: 0)
        let cache = LlamaKVCache(layers: config.layers, capacity: tokens.count, kvDim: config.kvDim)
        let ws = makeWorkspace(rows: min(tokens.count, Self.prefillChunk), logitRows: 1, positions: tokens.count)
        if oneAtATime {
            for t in tokens { prefill([t], cache: cache, ws: ws) }
        } else {
            prefill(tokens, cache: cache, ws: ws)
        }
        return Array(UnsafeBufferPointer(start: ws.logits, count: config.vocab))
    }

    static let prefillChunk = 64

    func makeWorkspace(rows: Int, logitRows: Int, positions: Int) -> LlamaWorkspace {
        LlamaWorkspace(config: config, rows: max(rows, 1), logitRows: max(logitRows, 1), maxPositions: positions, threads: threads)
    }

    var forward: LlamaForward { LlamaForward(config: config, weights: weights, threads: threads) }

    func validate(prompt: [Int], maxTokens: Int) throws {
        guard !prompt.isEmpty else { throw LlamaError.emptyPrompt }
        guard prompt.count <= config.contextLength else {
            throw LlamaError.promptTooLong(tokens: prompt.count, context: config.contextLength)
        }
        for t in prompt where t < 0 || t >= config.vocab { throw LlamaError.invalidToken(t) }
        guard maxTokens >= 0 else { throw LlamaError.invalidParameters("maxTokens must not be negative") }
    }

    /// Runs `tokens` from position `cache.count`; logits of the last one land in `ws.logits`.
    func prefill(_ tokens: [Int], cache: LlamaKVCache, ws: LlamaWorkspace) {
        var start = 0
        let f = forward
        while start < tokens.count {
            let end = min(start + ws.rows, tokens.count)
            let base = cache.count
            let rows = (start..<end).map { i in
                LlamaBatchRow(token: tokens[i], cache: cache, position: base + (i - start), wantLogits: i == tokens.count - 1,
                              multiToken: tokens.count > 1)
            }
            f.run(rows, ws: ws)
            start = end
        }
    }
}
