import HTTPSupport
import Foundation
import Inference

enum PromptInput: Sendable, Equatable {
    case text(String)
    case tokens([Int])
}

/// A validated completion or chat request.
package struct GenerationRequest: Sendable {
    var model: String
    var chat: Bool
    var prompts: [PromptInput] = []
    var messages: [ChatMessage] = []
    /// The messages as the chat template sees them (tool calls and tool results included).
    var messageValues: [JinjaValue] = []
    /// `tools` and `tool_choice`; nil when the request has no tools.
    var tools: ChatTools? = nil
    var n = 1
    var stream = false
    var includeUsage = false
    var parameters = GenerationParameters()
    var maxTokensGiven = false
    /// completions: `logprobs` (0...5); chat: `logprobs: true` with `top_logprobs`.
    var logprobs: Int? = nil
    var echo = false

    var cacheable: Bool { !stream && (parameters.temperature == 0 || parameters.seed != nil) }

    static let sharedKeys: Set<String> = ["model", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options",
                                          "stop", "presence_penalty", "frequency_penalty", "seed", "user", "logit_bias", "logprobs",
                                          "ignore_eos"]   // vLLM and llama.cpp extension
    static let completionKeys = sharedKeys.union(["prompt", "echo", "best_of", "suffix"])
    static let chatKeys = sharedKeys.union(["messages", "top_logprobs", "max_completion_tokens", "response_format",
                                            "tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
                                            "store", "metadata", "service_tier", "modalities", "audio", "prediction",
                                            "reasoning_effort", "web_search_options"])

    /// `ordered`: the same body parsed with key order kept (tool schemas print into the prompt,
    /// and JSON schemas order the output's properties, as the client wrote them).
    package static func parse(_ data: Data, chat: Bool, ordered: JinjaValue? = nil) throws(APIError) -> GenerationRequest {
        try parse(JSON.decode(Keyed<GenerationBody>.self, from: data), chat: chat, ordered: ordered)
    }

    static func parse(_ keyed: Keyed<GenerationBody>, chat: Bool, ordered: JinjaValue?) throws(APIError) -> GenerationRequest {
        let b = keyed.value
        try Fields.only(keyed.keys, chat ? chatKeys : completionKeys)
        var r = GenerationRequest(model: try b.model.required("model"), chat: chat)

        if chat {
            (r.messages, r.messageValues) = try parseChatMessages(b.messages, present: keyed.keys.contains("messages"))
            for (key, value) in [("functions", b.functions), ("function_call", b.functionCall)] where value != nil {
                throw APIError.unsupported(key, "is deprecated and not supported; send 'tools' and 'tool_choice'.")
            }
            for (key, value) in [("audio", b.audio), ("prediction", b.prediction), ("web_search_options", b.webSearchOptions)] where value != nil {
                throw APIError.unsupported(key, "is not supported by this server.")
            }
            r.tools = try ChatTools.parse(b, ordered: ordered)
            if let modalities = b.modalities?.value, modalities != ["text"] {
                throw APIError.unsupported("modalities", "supports only [\"text\"].")
            }
            r.parameters.grammar = try ResponseFormat.grammar(b.responseFormat, ordered: ordered)
            if r.parameters.grammar != nil, let tools = r.tools, tools.choice != .none {
                throw APIError.invalid("'response_format' cannot be combined with tools unless 'tool_choice' is 'none'.", param: "response_format")
            }
            if b.reasoningEffort != nil { throw APIError.unsupported("reasoning_effort", "applies to reasoning models only.") }
            if try b.store.bool("store") == true { throw APIError.unsupported("store", "is not supported: this server keeps no completions.") }
            if case .wrong? = b.metadata { throw APIError.invalid("'metadata' must be an object.", param: "metadata", code: "invalid_type") }
            if let tier = try b.serviceTier.string("service_tier"), !["auto", "default"].contains(tier) { throw APIError.unsupported("service_tier", "must be 'auto' or 'default'.") }
            let wantLogprobs = try b.logprobs.flag.bool("logprobs") ?? false
            let top = try b.topLogprobs.integer("top_logprobs", in: 0...20)
            if top != nil && !wantLogprobs {
                throw APIError.invalid("'top_logprobs' requires 'logprobs' to be true.", param: "top_logprobs")
            }
            if wantLogprobs { r.logprobs = top ?? 0 }
            if let m = try b.maxCompletionTokens.integer("max_completion_tokens", in: 1...1_000_000) { r.parameters.maxTokens = m; r.maxTokensGiven = true }
        } else {
            r.prompts = try parsePrompt(b.prompt)
            r.logprobs = try b.logprobs.count.integer("logprobs", in: 0...5)
            r.echo = try b.echo.bool("echo") ?? false
            if r.echo { throw APIError.unsupported("echo", "is not supported; send echo: false.") }
            if let s = try b.suffix.string("suffix"), !s.isEmpty { throw APIError.unsupported("suffix", "is not supported (no fill-in-the-middle).") }
        }
        if let m = try b.maxTokens.integer("max_tokens", in: 1...1_000_000) { r.parameters.maxTokens = m; r.maxTokensGiven = true }
        r.parameters.temperature = Float(try b.temperature.number("temperature", in: 0...2) ?? 1)
        r.parameters.topP = Float(try b.topP.number("top_p", in: 0...1) ?? 1)
        if b.topP != nil && r.parameters.topP == 0 { throw APIError.invalid("'top_p' must be greater than 0.", param: "top_p") }
        r.n = try b.n.integer("n", in: 1...16) ?? 1
        if !chat, let bestOf = try b.bestOf.integer("best_of", in: 1...16), bestOf != r.n {
            throw APIError.unsupported("best_of", "other than n is not supported.")
        }
        r.stream = try b.stream.bool("stream") ?? false
        if let options = b.streamOptions {
            guard r.stream else { throw APIError.invalid("'stream_options' is only allowed when 'stream' is true.", param: "stream_options") }
            guard case .value(let o) = options else {
                throw APIError.invalid("'stream_options' must be an object.", param: "stream_options", code: "invalid_type")
            }
            for k in o.keys.sorted() where k != "include_usage" { throw APIError.unknownParameter("stream_options.\(k)") }
            r.includeUsage = try o.value.includeUsage.bool("include_usage") ?? false
        }
        r.parameters.stop = try parseStop(b.stop)
        r.parameters.presencePenalty = Float(try b.presencePenalty.number("presence_penalty", in: -2...2) ?? 0)
        r.parameters.frequencyPenalty = Float(try b.frequencyPenalty.number("frequency_penalty", in: -2...2) ?? 0)
        if let seed = try b.seed.integer("seed", in: Int.min...Int.max) { r.parameters.seed = UInt64(bitPattern: Int64(seed)) }
        _ = try b.user.string("user")
        r.parameters.ignoreEOS = try b.ignoreEOS.bool("ignore_eos") ?? false
        r.parameters.logitBias = try parseLogitBias(b.logitBias)
        if r.logprobs != nil { r.parameters.topLogprobs = r.logprobs }
        return r
    }

    static func parsePrompt(_ value: Field<PromptBody>?) throws(APIError) -> [PromptInput] {
        let bad = APIError.invalid("'prompt' must be a string, an array of strings, an array of token ids, or an array of token-id arrays.",
                                   param: "prompt", code: "invalid_type")
        guard let value else {
            throw APIError.invalid("Missing required parameter: 'prompt'.", param: "prompt", code: "missing_required_parameter")
        }
        func ids(_ list: [Int]) throws(APIError) -> [Int] {
            guard !list.isEmpty, list.allSatisfy({ $0 >= 0 }) else { throw bad }
            return list
        }
        switch value {
        case .wrong: throw bad
        case .value(.text(let s)): return [.text(s)]
        case .value(.texts(let strings)):
            guard !strings.isEmpty else { throw bad }
            return strings.map { .text($0) }
        case .value(.tokens(let list)): return [.tokens(try ids(list))]
        case .value(.tokenLists(let lists)):
            guard !lists.isEmpty else { throw bad }
            var prompts: [PromptInput] = []
            for list in lists { prompts.append(.tokens(try ids(list))) }
            return prompts
        }
    }

    static func parseStop(_ value: Field<StopBody>?) throws(APIError) -> [String] {
        switch value {
        case nil: return []
        case .value(.one(let s))?: return s.isEmpty ? [] : [s]
        case .value(.many(let list))? where list.count <= 4: return list.filter { !$0.isEmpty }
        default:
            throw APIError.invalid("'stop' must be a string or an array of at most 4 strings.", param: "stop", code: "invalid_type")
        }
    }

    /// The messages as plain text turns (for the built-in ChatML fallback) and as the values a
    /// chat template reads: assistant `tool_calls` (arguments decoded to objects, as vLLM and
    /// transformers hand them to templates) and `tool` results with their `tool_call_id`.
    /// `present`: the key was sent (a `null` is a wrong type, not a missing parameter).
    static func parseChatMessages(_ value: Field<[Field<Keyed<ChatMessageBody>>]>?, present: Bool) throws(APIError) -> ([ChatMessage], [JinjaValue]) {
        guard case .value(let list)? = value, !list.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array of messages.", param: "messages",
                                   code: present ? "invalid_type" : "missing_required_parameter")
        }
        var plain: [ChatMessage] = []
        var values: [JinjaValue] = []
        for (i, item) in list.enumerated() {
            let param = "messages[\(i)]"
            guard case .value(let keyed) = item else { throw APIError.invalid("\(param) must be an object.", param: param, code: "invalid_type") }
            let m = keyed.value
            guard let role = m.role?.value else { throw APIError.invalid("\(param).role is required.", param: "\(param).role", code: "missing_required_parameter") }
            guard ["system", "developer", "user", "assistant", "tool"].contains(role) else {
                throw APIError.invalid("\(param).role '\(role)' is not supported; use system, developer, user, assistant or tool.", param: "\(param).role")
            }
            var allowed: Set<String> = ["role", "content", "name"]
            if role == "assistant" { allowed.formUnion(["tool_calls", "refusal"]) }
            if role == "tool" { allowed.insert("tool_call_id") }
            for key in keyed.keys.sorted() where !allowed.contains(key) {
                throw APIError.unsupported("\(param).\(key)", "is not supported on a '\(role)' message.")
            }
            let calls = try role == "assistant" ? parseToolCalls(m.toolCalls, param: "\(param).tool_calls") : nil
            var text: String? = nil
            switch m.content {
            case .value(.text(let s))?:
                text = s
            case .value(.parts(let parts))?:
                var joined = ""
                for (j, part) in parts.enumerated() {
                    guard case .value(let p) = part, p.type?.value == "text", let t = p.text?.value else {
                        throw APIError.unsupported("\(param).content[\(j)]", "must be a text part; images and audio are not supported.")
                    }
                    joined += t
                }
                text = joined
            case nil where role == "assistant":
                text = nil
            default:
                throw APIError.invalid("\(param).content must be a string or an array of text parts.", param: "\(param).content", code: "invalid_type")
            }
            let templateRole = role == "developer" ? "system" : role
            var v = JinjaDict([("role", .string(templateRole)), ("content", text.map(JinjaValue.string) ?? .none)])
            if let name = m.name?.value { v["name"] = .string(name) }
            if let calls, !calls.isEmpty { v["tool_calls"] = .array(calls) }
            if role == "tool" {
                guard let id = m.toolCallID?.value, !id.isEmpty else {
                    throw APIError.invalid("\(param).tool_call_id is required on a tool message.", param: "\(param).tool_call_id", code: "missing_required_parameter")
                }
                v["tool_call_id"] = .string(id)
            }
            plain.append(ChatMessage(role: templateRole, content: text ?? ""))
            values.append(.dict(v))
        }
        return (plain, values)
    }

    static func parseToolCalls(_ value: Field<[Field<ToolCallBody>]>?, param: String) throws(APIError) -> [JinjaValue]? {
        guard let value else { return nil }
        guard case .value(let list) = value else { throw APIError.invalid("'\(param)' must be an array.", param: param, code: "invalid_type") }
        var out: [JinjaValue] = []
        for (i, item) in list.enumerated() {
            let at = "\(param)[\(i)]"
            guard case .value(let c) = item, case .value(let f)? = c.function, let name = f.name?.value else {
                throw APIError.invalid("\(at) must be {id, type: 'function', function: {name, arguments}}.", param: at, code: "invalid_type")
            }
            let raw = f.arguments?.value ?? "{}"
            let arguments: JinjaValue
            do { arguments = try JinjaValue.parseJSON(raw) } catch {
                throw APIError.invalid("\(at).function.arguments is not valid JSON.", param: "\(at).function.arguments")
            }
            out.append(.dict(JinjaDict([("id", .string(c.id?.value ?? "")), ("type", .string("function")),
                                        ("function", .dict(JinjaDict([("name", .string(name)), ("arguments", arguments)])))])))
        }
        return out
    }

    /// OpenAI's `logit_bias`: token id (as a string) to a bias in -100...100.
    static func parseLogitBias(_ value: Field<[String: JSONValue]>?) throws(APIError) -> [Int: Float] {
        guard let value else { return [:] }
        guard case .value(let bias) = value else {
            throw APIError.invalid("'logit_bias' must be an object.", param: "logit_bias", code: "invalid_type")
        }
        guard bias.count <= 300 else { throw APIError.invalid("'logit_bias' may hold at most 300 tokens.", param: "logit_bias") }
        var out: [Int: Float] = [:]
        for (k, v) in bias {
            guard let id = Int(k), id >= 0 else { throw APIError.invalid("'logit_bias' keys must be token ids, got '\(k)'.", param: "logit_bias") }
            guard let n = v.number, (-100...100).contains(n) else {
                throw APIError.invalid("'logit_bias' values must be numbers from -100 to 100.", param: "logit_bias")
            }
            out[id] = Float(n)
        }
        return out
    }
}

/// A validated embeddings request.
package struct EmbeddingRequest: Sendable {
    var model: String
    var inputs: [PromptInput]
    var base64 = false
    var dimensions: Int? = nil

    package static func parse(_ data: Data) throws(APIError) -> EmbeddingRequest {
        let keyed = try JSON.decode(Keyed<EmbeddingBody>.self, from: data)
        let b = keyed.value
        try Fields.only(keyed.keys, ["model", "input", "encoding_format", "dimensions", "user"])
        let model = try b.model.required("model")
        guard b.input != nil else {
            throw APIError.invalid("Missing required parameter: 'input'.", param: "input", code: "missing_required_parameter")
        }
        var inputs: [PromptInput]
        do { inputs = try GenerationRequest.parsePrompt(b.input) } catch {
            throw APIError.invalid("'input' must be a string, an array of strings, an array of token ids, or an array of token-id arrays.",
                                   param: "input", code: "invalid_type")
        }
        guard inputs.count <= 2048 else { throw APIError.invalid("'input' may hold at most 2048 items.", param: "input") }
        for case .text(let t) in inputs where t.isEmpty {
            throw APIError.invalid("'input' cannot contain an empty string.", param: "input")
        }
        var r = EmbeddingRequest(model: model, inputs: inputs)
        switch try b.encodingFormat.string("encoding_format") ?? "float" {
        case "float": r.base64 = false
        case "base64": r.base64 = true
        case let other: throw APIError.invalid("'encoding_format' must be 'float' or 'base64', got '\(other)'.", param: "encoding_format")
        }
        // Any integer here: which widths are allowed depends on the model (Embeddings.checkDimensions).
        r.dimensions = try b.dimensions.integer("dimensions", in: Int.min...Int.max)
        _ = try b.user.string("user")
        return r
    }
}
