import Foundation
import Inference

/// A value that OpenAI's shapes carry as `null` rather than leave out (synthesized encoding
/// would drop a nil key).
struct OrNull<T: Encodable & Sendable>: Encodable, Sendable, ExpressibleByNilLiteral {
    var value: T?
    init(_ value: T?) { self.value = value }
    init(nilLiteral: ()) { value = nil }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

struct Usage: Encodable, Sendable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int

    init(prompt: Int, completion: Int) {
        promptTokens = prompt
        completionTokens = completion
        totalTokens = prompt + completion
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }
}

/// The envelope of a completion, a chat completion and each of their stream chunks.
struct CompletionBody<Choice: Encodable & Sendable>: Encodable, Sendable {
    /// A stream's `usage`: absent unless asked for, then `null` on every chunk but the last.
    enum UsageField: Sendable { case absent, pending, final(Usage) }

    var meta: ResponseMeta
    var object: String
    var choices: [Choice]
    var usage: UsageField

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, systemFingerprint = "system_fingerprint", choices, usage
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(meta.id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(meta.created, forKey: .created)
        try c.encode(meta.model, forKey: .model)
        try c.encode("ipfs-accelerate-\(ModelServer.version)", forKey: .systemFingerprint)
        try c.encode(choices, forKey: .choices)
        switch usage {
        case .absent: break
        case .pending: try c.encodeNil(forKey: .usage)
        case .final(let u): try c.encode(u, forKey: .usage)
        }
    }
}

struct ToolCallJSON: Encodable, Sendable {
    struct Function: Encodable, Sendable {
        var name: String
        var arguments: String
    }
    var id: String
    var type = "function"
    var function: Function
    /// Only in stream deltas.
    var index: Int?
}

struct ChatMessageJSON: Encodable, Sendable {
    var role = "assistant"
    var content: OrNull<String>
    var refusal: OrNull<String> = nil
    var toolCalls: [ToolCallJSON]?

    enum CodingKeys: String, CodingKey { case role, content, refusal, toolCalls = "tool_calls" }
}

struct TokenLogprobJSON: Encodable, Sendable {
    var token: String
    var logprob: Double
    var bytes: [Int]
}

struct ChatTokenLogprobJSON: Encodable, Sendable {
    var token: String
    var logprob: Double
    var bytes: [Int]
    var topLogprobs: [TokenLogprobJSON]

    enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
}

struct ChatLogprobsJSON: Encodable, Sendable {
    var content: [ChatTokenLogprobJSON]
    var refusal: OrNull<String> = nil
}

struct CompletionLogprobsJSON: Encodable, Sendable {
    var tokens: [String]
    var tokenLogprobs: [Double]
    var topLogprobs: [[String: Double]]
    var textOffset: [Int]

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }
}

struct ChatChoiceJSON: Encodable, Sendable {
    var index: Int
    var finishReason: String
    var message: ChatMessageJSON
    var logprobs: OrNull<ChatLogprobsJSON>

    enum CodingKeys: String, CodingKey { case index, finishReason = "finish_reason", message, logprobs }
}

struct CompletionChoiceJSON: Encodable, Sendable {
    var index: Int
    var finishReason: OrNull<String>
    var text: String
    var logprobs: OrNull<CompletionLogprobsJSON>

    enum CodingKeys: String, CodingKey { case index, finishReason = "finish_reason", text, logprobs }
}

/// A stream chunk's `delta`: the role first, then content or tool calls, and `{}` at the end.
struct ChatDeltaJSON: Encodable, Sendable {
    var role: String?
    var content: String?
    var toolCalls: [ToolCallJSON]?

    enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
}

struct ChatChunkChoiceJSON: Encodable, Sendable {
    var index: Int
    var delta: ChatDeltaJSON
    var logprobs: OrNull<ChatLogprobsJSON> = nil
    var finishReason: OrNull<String> = nil

    enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
}

extension ModelServer {
    static func chatLogprob(_ t: GeneratedToken) -> ChatTokenLogprobJSON {
        ChatTokenLogprobJSON(token: t.text, logprob: Double(t.logprob), bytes: Array(t.text.utf8).map(Int.init),
                             topLogprobs: t.topLogprobs.map { TokenLogprobJSON(token: $0.text, logprob: Double($0.logprob), bytes: Array($0.text.utf8).map(Int.init)) })
    }

    static func completionLogprobs(_ tokens: [GeneratedToken], offset: Int) -> CompletionLogprobsJSON {
        var offsets: [Int] = []
        var at = offset
        for t in tokens { offsets.append(at); at += t.text.count }
        return CompletionLogprobsJSON(tokens: tokens.map(\.text), tokenLogprobs: tokens.map { Double($0.logprob) },
                                      topLogprobs: tokens.map { t in Dictionary(t.topLogprobs.map { ($0.text, Double($0.logprob)) }, uniquingKeysWith: { a, _ in a }) },
                                      textOffset: offsets)
    }
}

extension ParsedToolCall {
    func json(index: Int? = nil) -> ToolCallJSON {
        ToolCallJSON(id: id, function: .init(name: name, arguments: arguments), index: index)
    }
}
