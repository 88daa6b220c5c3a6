import HTTPSupport
import Foundation

/// The request bodies as clients send them. Every field is a `Field`, so a wrong type reaches
/// validation (OpenAIRequests.swift), which answers with the 400 naming the parameter; unknown
/// keys come from `Keyed`.

/// /v1/completions and /v1/chat/completions; each endpoint refuses the other's keys.
struct GenerationBody: Decodable, Sendable {
    var model: Field<String>?
    var maxTokens: Field<Int>?
    var temperature: Field<Double>?
    var topP: Field<Double>?
    var n: Field<Int>?
    var stream: Field<Bool>?
    var streamOptions: Field<Keyed<StreamOptionsBody>>?
    var stop: Field<StopBody>?
    var presencePenalty: Field<Double>?
    var frequencyPenalty: Field<Double>?
    var seed: Field<Int>?
    var user: Field<String>?
    var logitBias: Field<[String: JSONValue]>?
    var logprobs: Field<LogprobsBody>?
    var ignoreEOS: Field<Bool>?
    // completions
    var prompt: Field<PromptBody>?
    var echo: Field<Bool>?
    var bestOf: Field<Int>?
    var suffix: Field<String>?
    // chat
    var messages: Field<[Field<Keyed<ChatMessageBody>>]>?
    var topLogprobs: Field<Int>?
    var maxCompletionTokens: Field<Int>?
    var responseFormat: Field<ResponseFormatBody>?
    var tools: Field<[Field<ToolBody>]>?
    var toolChoice: Field<ToolChoiceBody>?
    var parallelToolCalls: Field<Bool>?
    var store: Field<Bool>?
    var metadata: Field<[String: JSONValue]>?
    var serviceTier: Field<String>?
    var modalities: Field<[String]>?
    // Refused whenever present.
    var functions, functionCall, audio, prediction, reasoningEffort, webSearchOptions: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, maxTokens = "max_tokens", temperature, topP = "top_p", n, stream, streamOptions = "stream_options",
             stop, presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty", seed, user,
             logitBias = "logit_bias", logprobs, ignoreEOS = "ignore_eos",
             prompt, echo, bestOf = "best_of", suffix,
             messages, topLogprobs = "top_logprobs", maxCompletionTokens = "max_completion_tokens",
             responseFormat = "response_format", tools, toolChoice = "tool_choice", parallelToolCalls = "parallel_tool_calls",
             store, metadata, serviceTier = "service_tier", modalities,
             functions, functionCall = "function_call", audio, prediction, reasoningEffort = "reasoning_effort",
             webSearchOptions = "web_search_options"
    }
}

struct StreamOptionsBody: Decodable, Sendable {
    var includeUsage: Field<Bool>?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// `stop`: one string or a list of them.
enum StopBody: Decodable, Sendable {
    case one(String)
    case many([String])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .one(s) } else { self = .many(try c.decode([String].self)) }
    }
}

/// `logprobs`: chat sends a flag, completions a count.
enum LogprobsBody: Decodable, Sendable {
    case flag(Bool)
    case count(Int)

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .flag(b) } else { self = .count(try c.decode(Int.self)) }
    }
}

/// `prompt` and `input`: a string, strings, token ids, or lists of token ids.
enum PromptBody: Decodable, Sendable {
    case text(String)
    case texts([String])
    case tokens([Int])
    case tokenLists([[Int]])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .text(s) }
        else if let a = try? c.decode([String].self) { self = .texts(a) }
        else if let a = try? c.decode([Int].self) { self = .tokens(a) }
        else { self = .tokenLists(try c.decode([[Int]].self)) }
    }
}

struct ChatMessageBody: Decodable, Sendable {
    var role: Field<String>?
    var content: Field<MessageContentBody>?
    var name: Field<String>?
    var toolCalls: Field<[Field<ToolCallBody>]>?
    var toolCallID: Field<String>?

    enum CodingKeys: String, CodingKey { case role, content, name, toolCalls = "tool_calls", toolCallID = "tool_call_id" }
}

/// A message's `content`: text, or a list of parts (only text parts are served).
enum MessageContentBody: Decodable, Sendable {
    case text(String)
    case parts([Field<ContentPartBody>])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .text(s) } else { self = .parts(try c.decode([Field<ContentPartBody>].self)) }
    }
}

struct ContentPartBody: Decodable, Sendable {
    var type: Field<String>?
    var text: Field<String>?
}

/// An assistant message's earlier tool call.
struct ToolCallBody: Decodable, Sendable {
    struct Function: Decodable, Sendable {
        var name: Field<String>?
        /// JSON text, as OpenAI sends it.
        var arguments: Field<String>?
    }
    var id: Field<String>?
    var function: Field<Function>?
}

struct ToolBody: Decodable, Sendable {
    struct Function: Decodable, Sendable {
        var name: Field<String>?
        var description: JSONValue?
        /// A JSON schema; the template and the grammar read the key-ordered copy instead.
        var parameters: JSONValue?
    }
    var type: Field<String>?
    var function: Field<Keyed<Function>>?
}

/// `tool_choice`: `auto`, `none`, `required`, or `{"type": "function", "function": {"name"}}`.
enum ToolChoiceBody: Decodable, Sendable {
    case mode(String)
    case function(name: String)

    private struct Named: Decodable {
        struct Function: Decodable { var name: String }
        var type: String
        var function: Function
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .mode(s); return }
        let named = try c.decode(Named.self)
        guard named.type == "function" else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "tool_choice.type must be 'function'")
        }
        self = .function(name: named.function.name)
    }
}

struct ResponseFormatBody: Decodable, Sendable {
    struct JSONSchema: Decodable, Sendable {
        var name: Field<String>?
        var description: JSONValue?
        /// The schema; the grammar reads the key-ordered copy instead.
        var schema: JSONValue?
        var strict: JSONValue?
    }
    var type: Field<String>?
    var jsonSchema: Field<JSONSchema>?

    enum CodingKeys: String, CodingKey { case type, jsonSchema = "json_schema" }
}

struct EmbeddingBody: Decodable, Sendable {
    var model: Field<String>?
    var input: Field<PromptBody>?
    var encodingFormat: Field<String>?
    var dimensions: Field<Int>?
    var user: Field<String>?

    enum CodingKeys: String, CodingKey { case model, input, encodingFormat = "encoding_format", dimensions, user }
}

/// /tokenize in llama.cpp's shape (`content`, `add_special`, `with_pieces`) and vLLM's
/// (`prompt` or `messages`, `add_special_tokens`, `add_generation_prompt`, `return_token_strs`).
struct TokenizeBody: Decodable, Sendable {
    var model: Field<String>?
    var content: Field<String>?
    var prompt: Field<String>?
    var messages: Field<[Field<Keyed<ChatMessageBody>>]>?
    var addSpecial: Field<Bool>?
    var addSpecialTokens: Field<Bool>?
    var withPieces: Field<Bool>?
    var addGenerationPrompt: Field<Bool>?
    var returnTokenStrs: Field<Bool>?

    enum CodingKeys: String, CodingKey {
        case model, content, prompt, messages, addSpecial = "add_special", addSpecialTokens = "add_special_tokens",
             withPieces = "with_pieces", addGenerationPrompt = "add_generation_prompt", returnTokenStrs = "return_token_strs"
    }
}

struct DetokenizeBody: Decodable, Sendable {
    var model: Field<String>?
    var tokens: Field<[Field<Int>]>?
}

/// /models/load and /models/unload.
struct LoadModelBody: Decodable, Sendable {
    var modelID: Field<String>?
    var hardware: Field<String>?
    var options: Field<[String: JSONValue]>?

    enum CodingKeys: String, CodingKey { case modelID = "model_id", hardware, options }
}
