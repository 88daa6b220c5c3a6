import Foundation

// The contract between the inference engine and its callers (the model server, the CLI).
// Implementations: BERT sentence embeddings, Llama text generation.

/// A tokenizer: text to ids and back.
public protocol TextTokenizer: Sendable {
    var vocabularySize: Int { get }
    /// Token ids for `text`; with `addSpecialTokens` the model's own framing ([CLS]/[SEP], BOS if the model adds one).
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int]
    /// Text for `ids`; invalid UTF-8 (a character split across tokens) becomes U+FFFD.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
}

/// A model that turns texts into fixed-size vectors.
public protocol EmbeddingModel: AnyObject, Sendable {
    var id: String { get }
    var dimensions: Int { get }
    var maxSequenceLength: Int { get }
    var tokenizer: any TextTokenizer { get }
    /// Bytes of weights and buffers this model holds in memory (mapped weights count).
    var memoryBytes: Int { get }
    /// One vector per text, pooled and normalised as the model's configuration says.
    /// All texts run together in batched forward passes.
    func embed(_ texts: [String]) throws -> [[Float]]
    /// Whether `embed` returns unit vectors (so a shortened vector is normalised again).
    var normalize: Bool { get }
    /// The widths the model was trained to be shortened to; nil when it was not (Matryoshka.swift).
    var matryoshkaDimensions: MatryoshkaDimensions? { get }
}

extension EmbeddingModel {
    public var normalize: Bool { false }
    public var matryoshkaDimensions: MatryoshkaDimensions? { nil }
}

public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

public struct GenerationParameters: Sendable, Equatable {
    public var maxTokens: Int = 16
    /// 0 means greedy.
    public var temperature: Float = 1.0
    public var topP: Float = 1.0
    /// Same seed, same output. nil: a random seed.
    public var seed: UInt64? = nil
    public var stop: [String] = []
    public var presencePenalty: Float = 0
    public var frequencyPenalty: Float = 0
    /// When non-nil, every generated token carries its log-probability and this many alternatives.
    public var topLogprobs: Int? = nil
    /// Keep generating past end-of-sequence tokens until `maxTokens` (benchmarks; vLLM's and
    /// llama.cpp's `ignore_eos`). Stop sequences still apply.
    public var ignoreEOS = false
    /// Added to the logits of these token ids before sampling (OpenAI's `logit_bias`; -100 bans).
    public var logitBias: [Int: Float] = [:]
    /// When set, every token keeps the output a prefix of a JSON text this grammar admits, and
    /// generation ends (end-of-sequence) once the text is whole (structured output).
    public var grammar: JSONGrammar? = nil
    public init() {}
}

public struct TokenLogprob: Sendable, Equatable {
    public var id: Int
    public var text: String
    public var logprob: Float
    public init(id: Int, text: String, logprob: Float) {
        self.id = id
        self.text = text
        self.logprob = logprob
    }
}

public struct GeneratedToken: Sendable, Equatable {
    public var id: Int
    /// The text this token completes (may be empty while a UTF-8 character is split across tokens).
    public var text: String
    public var logprob: Float
    public var topLogprobs: [TokenLogprob]
    public init(id: Int, text: String, logprob: Float, topLogprobs: [TokenLogprob]) {
        self.id = id
        self.text = text
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

public enum FinishReason: String, Sendable, Equatable {
    case stop      // end-of-sequence token or a stop sequence
    case length    // max tokens or the context length
}

public struct GenerationResult: Sendable, Equatable {
    public var text: String
    public var tokens: [GeneratedToken]
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var completionTokens: Int { tokens.count }
    public init(text: String, tokens: [GeneratedToken], finishReason: FinishReason, promptTokens: Int) {
        self.text = text
        self.tokens = tokens
        self.finishReason = finishReason
        self.promptTokens = promptTokens
    }
}

/// A causal language model.
public protocol TextGenerationModel: AnyObject, Sendable {
    var id: String { get }
    var contextLength: Int { get }
    var tokenizer: any TextTokenizer { get }
    var memoryBytes: Int { get }
    /// The prompt text for a chat, rendered with the model's own chat template
    /// (or a built-in ChatML renderer that gives the same text).
    func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String
    /// The same for JSON-shaped messages (assistant `tool_calls`, `tool` results) and `tools`,
    /// which the template reads as transformers' `apply_chat_template` passes them.
    func renderChat(messageValues: [JinjaValue], tools: [JinjaValue]?, addGenerationPrompt: Bool) throws -> String
    /// The model's own chat template text, if it has one.
    var chatTemplateText: String? { get }
    /// Generates from `prompt` token ids. `onToken` is called as each token is made
    /// (after stop-sequence handling); returning false stops generation early.
    func generate(prompt: [Int], parameters: GenerationParameters,
                  onToken: (GeneratedToken) -> Bool) throws -> GenerationResult
    /// Several prompts advanced together, one batched forward pass per step.
    /// Results are in the order of `prompts`; each equals what `generate` alone gives.
    func generateBatch(prompts: [[Int]], parameters: [GenerationParameters],
                       onToken: (_ index: Int, GeneratedToken) -> Bool) throws -> [GenerationResult]
}

extension TextGenerationModel {
    /// Models without a Jinja template render plain turns only.
    public func renderChat(messageValues: [JinjaValue], tools: [JinjaValue]?, addGenerationPrompt: Bool) throws -> String {
        let plain = messageValues.map { v -> ChatMessage in
            guard case .dict(let d) = v, case .string(let role)? = d["role"] else { return ChatMessage(role: "user", content: "") }
            if case .string(let c)? = d["content"] { return ChatMessage(role: role, content: c) }
            return ChatMessage(role: role, content: "")
        }
        return try renderChat(plain, addGenerationPrompt: addGenerationPrompt)
    }

    public var chatTemplateText: String? { nil }
}

/// A generator that admits sequences between forward passes (continuous batching): a request
/// submitted while others are generating joins them at the next step, and each one's tokens
/// are those `generate` alone would give.
public protocol ContinuousBatchingModel: TextGenerationModel {
    /// Queues one sequence. `onToken` and `completion` run on the model's compute thread;
    /// `onToken` returning false ends the sequence (its slot is free for the next step).
    /// `maxSequences` bounds the sequences in flight (taken when the compute thread starts).
    /// `observeBatch` is told, as the sequence ends, the most sequences that shared one of its
    /// forward passes (the batch size it actually ran at, for metrics).
    func submit(prompt: [Int], parameters: GenerationParameters, maxSequences: Int,
                onToken: @escaping @Sendable (GeneratedToken) -> Bool,
                observeBatch: @escaping @Sendable (Int) -> Void,
                completion: @escaping @Sendable (Result<GenerationResult, any Error>) -> Void)
}

extension ContinuousBatchingModel {
    public func submit(prompt: [Int], parameters: GenerationParameters, maxSequences: Int,
                       onToken: @escaping @Sendable (GeneratedToken) -> Bool,
                       completion: @escaping @Sendable (Result<GenerationResult, any Error>) -> Void) {
        submit(prompt: prompt, parameters: parameters, maxSequences: maxSequences, onToken: onToken,
               observeBatch: { _ in }, completion: completion)
    }
}

/// What a model folder, GGUF file or stored model turned out to be.
public enum LoadedModel: Sendable {
    case embedding(any EmbeddingModel)
    case generation(any TextGenerationModel)
}
