import Foundation
import Inference

/// Typed reads of a JSON request object; every wrong type or range is an OpenAI-shaped 400
/// naming the parameter.
struct Params {
    let object: [String: Any]

    /// Refuses any key outside `allowed` (OpenAI answers unknown arguments with a 400).
    func only(_ allowed: Set<String>) throws(APIError) {
        for key in object.keys.sorted() where !allowed.contains(key) { throw APIError.unknownParameter(key) }
    }

    func has(_ key: String) -> Bool {
        guard let v = object[key] else { return false }
        return !(v is NSNull)
    }

    private static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return v is Bool }
        return String(cString: n.objCType) == "c" || type(of: v) == Bool.self
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard has(key) else { return nil }
        guard let s = object[key] as? String else { throw APIError.invalid("'\(key)' must be a string.", param: key, code: "invalid_type") }
        return s
    }

    func requiredString(_ key: String) throws(APIError) -> String {
        guard let s = try string(key), !s.isEmpty else {
            throw APIError.invalid("Missing required parameter: '\(key)'.", param: key, code: "missing_required_parameter")
        }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard has(key) else { return nil }
        guard let v = object[key], Self.isBool(v), let b = v as? Bool else {
            throw APIError.invalid("'\(key)' must be a boolean.", param: key, code: "invalid_type")
        }
        return b
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard has(key) else { return nil }
        guard let v = object[key], !Self.isBool(v), let d = (v as? NSNumber)?.doubleValue, d.isFinite else {
            throw APIError.invalid("'\(key)' must be a number.", param: key, code: "invalid_type")
        }
        guard range.contains(d) else {
            throw APIError.invalid("\(d) is out of range for '\(key)': expected \(range.lowerBound) to \(range.upperBound).", param: key)
        }
        return d
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard has(key) else { return nil }
        guard let v = object[key], !Self.isBool(v), let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(),
              abs(n.doubleValue) < 9.2e18 else {
            throw APIError.invalid("'\(key)' must be an integer.", param: key, code: "invalid_type")
        }
        let i = n.int64Value
        guard i >= Int64(range.lowerBound) && i <= Int64(range.upperBound) else {
            throw APIError.invalid("\(i) is out of range for '\(key)': expected \(range.lowerBound) to \(range.upperBound).", param: key)
        }
        return Int(i)
    }
}

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
    package static func parse(_ object: [String: Any], chat: Bool, ordered: JinjaValue? = nil) throws(APIError) -> GenerationRequest {
        let p = Params(object: object)
        try p.only(chat ? chatKeys : completionKeys)
        var r = GenerationRequest(model: try p.requiredString("model"), chat: chat)

        if chat {
            (r.messages, r.messageValues) = try parseChatMessages(object["messages"])
            for key in ["functions", "function_call"] where p.has(key) {
                throw APIError.unsupported(key, "is deprecated and not supported; send 'tools' and 'tool_choice'.")
            }
            for key in ["audio", "prediction", "web_search_options"] where p.has(key) {
                throw APIError.unsupported(key, "is not supported by this server.")
            }
            r.tools = try ChatTools.parse(object, ordered: ordered)
            if let modalities = object["modalities"] as? [String], modalities != ["text"] {
                throw APIError.unsupported("modalities", "supports only [\"text\"].")
            }
            r.parameters.grammar = try ResponseFormat.grammar(object["response_format"], ordered: ordered)
            if r.parameters.grammar != nil, let tools = r.tools, tools.choice != .none {
                throw APIError.invalid("'response_format' cannot be combined with tools unless 'tool_choice' is 'none'.", param: "response_format")
            }
            if p.has("reasoning_effort") { throw APIError.unsupported("reasoning_effort", "applies to reasoning models only.") }
            if p.has("store"), try p.bool("store") == true { throw APIError.unsupported("store", "is not supported: this server keeps no completions.") }
            if p.has("metadata") { guard object["metadata"] is [String: Any] else { throw APIError.invalid("'metadata' must be an object.", param: "metadata", code: "invalid_type") } }
            if let tier = try p.string("service_tier"), !["auto", "default"].contains(tier) { throw APIError.unsupported("service_tier", "must be 'auto' or 'default'.") }
            let wantLogprobs = try p.bool("logprobs") ?? false
            let top = try p.integer("top_logprobs", in: 0...20)
            if top != nil && !wantLogprobs {
                throw APIError.invalid("'top_logprobs' requires 'logprobs' to be true.", param: "top_logprobs")
            }
            if wantLogprobs { r.logprobs = top ?? 0 }
            if let m = try p.integer("max_completion_tokens", in: 1...1_000_000) { r.parameters.maxTokens = m; r.maxTokensGiven = true }
        } else {
            r.prompts = try parsePrompt(object["prompt"])
            r.logprobs = try p.integer("logprobs", in: 0...5)
            r.echo = try p.bool("echo") ?? false
            if r.echo { throw APIError.unsupported("echo", "is not supported; send echo: false.") }
            if let s = try p.string("suffix"), !s.isEmpty { throw APIError.unsupported("suffix", "is not supported (no fill-in-the-middle).") }
        }
        if let m = try p.integer("max_tokens", in: 1...1_000_000) { r.parameters.maxTokens = m; r.maxTokensGiven = true }
        r.parameters.temperature = Float(try p.number("temperature", in: 0...2) ?? 1)
        r.parameters.topP = Float(try p.number("top_p", in: 0...1) ?? 1)
        if p.has("top_p") && r.parameters.topP == 0 { throw APIError.invalid("'top_p' must be greater than 0.", param: "top_p") }
        r.n = try p.integer("n", in: 1...16) ?? 1
        if !chat, let bestOf = try p.integer("best_of", in: 1...16), bestOf != r.n {
            throw APIError.unsupported("best_of", "other than n is not supported.")
        }
        r.stream = try p.bool("stream") ?? false
        if p.has("stream_options") {
            guard r.stream else { throw APIError.invalid("'stream_options' is only allowed when 'stream' is true.", param: "stream_options") }
            guard let o = object["stream_options"] as? [String: Any] else {
                throw APIError.invalid("'stream_options' must be an object.", param: "stream_options", code: "invalid_type")
            }
            for k in o.keys where k != "include_usage" { throw APIError.unknownParameter("stream_options.\(k)") }
            r.includeUsage = try Params(object: o).bool("include_usage") ?? false
        }
        r.parameters.stop = try parseStop(object["stop"])
        r.parameters.presencePenalty = Float(try p.number("presence_penalty", in: -2...2) ?? 0)
        r.parameters.frequencyPenalty = Float(try p.number("frequency_penalty", in: -2...2) ?? 0)
        if let seed = try p.integer("seed", in: Int.min...Int.max) { r.parameters.seed = UInt64(bitPattern: Int64(seed)) }
        _ = try p.string("user")
        r.parameters.ignoreEOS = try p.bool("ignore_eos") ?? false
        r.parameters.logitBias = try parseLogitBias(object["logit_bias"])
        if r.logprobs != nil { r.parameters.topLogprobs = r.logprobs }
        return r
    }

    static func parsePrompt(_ value: Any?) throws(APIError) -> [PromptInput] {
        let bad = APIError.invalid("'prompt' must be a string, an array of strings, an array of token ids, or an array of token-id arrays.",
                                   param: "prompt", code: "invalid_type")
        guard let value, !(value is NSNull) else {
            throw APIError.invalid("Missing required parameter: 'prompt'.", param: "prompt", code: "missing_required_parameter")
        }
        if let s = value as? String { return [.text(s)] }
        guard let array = value as? [Any], !array.isEmpty else { throw bad }
        if let strings = array as? [String] { return strings.map { .text($0) } }
        func ids(_ a: Any) throws(APIError) -> [Int] {
            guard let list = a as? [Any], !list.isEmpty else { throw bad }
            var out: [Int] = []
            for x in list {
                guard let n = x as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.intValue >= 0 else { throw bad }
                out.append(n.intValue)
            }
            return out
        }
        if array.first is [Any] {
            var prompts: [PromptInput] = []
            for a in array { prompts.append(.tokens(try ids(a))) }
            return prompts
        }
        return [.tokens(try ids(array))]
    }

    static func parseStop(_ value: Any?) throws(APIError) -> [String] {
        guard let value, !(value is NSNull) else { return [] }
        if let s = value as? String { return s.isEmpty ? [] : [s] }
        guard let list = value as? [String], list.count <= 4 else {
            throw APIError.invalid("'stop' must be a string or an array of at most 4 strings.", param: "stop", code: "invalid_type")
        }
        return list.filter { !$0.isEmpty }
    }

    /// The messages as plain text turns (for the built-in ChatML fallback) and as the values a
    /// chat template reads: assistant `tool_calls` (arguments decoded to objects, as vLLM and
    /// transformers hand them to templates) and `tool` results with their `tool_call_id`.
    static func parseChatMessages(_ value: Any?) throws(APIError) -> ([ChatMessage], [JinjaValue]) {
        guard let list = value as? [Any], !list.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array of messages.", param: "messages",
                                   code: value == nil ? "missing_required_parameter" : "invalid_type")
        }
        var plain: [ChatMessage] = []
        var values: [JinjaValue] = []
        for (i, item) in list.enumerated() {
            let param = "messages[\(i)]"
            guard let m = item as? [String: Any] else { throw APIError.invalid("\(param) must be an object.", param: param, code: "invalid_type") }
            guard let role = m["role"] as? String else { throw APIError.invalid("\(param).role is required.", param: "\(param).role", code: "missing_required_parameter") }
            guard ["system", "developer", "user", "assistant", "tool"].contains(role) else {
                throw APIError.invalid("\(param).role '\(role)' is not supported; use system, developer, user, assistant or tool.", param: "\(param).role")
            }
            var allowed: Set<String> = ["role", "content", "name"]
            if role == "assistant" { allowed.formUnion(["tool_calls", "refusal"]) }
            if role == "tool" { allowed.insert("tool_call_id") }
            for key in m.keys.sorted() where !allowed.contains(key) {
                throw APIError.unsupported("\(param).\(key)", "is not supported on a '\(role)' message.")
            }
            let calls = try role == "assistant" ? parseToolCalls(m["tool_calls"], param: "\(param).tool_calls") : nil
            var text: String? = nil
            if let s = m["content"] as? String {
                text = s
            } else if let parts = m["content"] as? [Any] {
                var joined = ""
                for (j, part) in parts.enumerated() {
                    guard let p = part as? [String: Any], p["type"] as? String == "text", let t = p["text"] as? String else {
                        throw APIError.unsupported("\(param).content[\(j)]", "must be a text part; images and audio are not supported.")
                    }
                    joined += t
                }
                text = joined
            } else if role == "assistant", m["content"] == nil || m["content"] is NSNull {
                text = nil
            } else {
                throw APIError.invalid("\(param).content must be a string or an array of text parts.", param: "\(param).content", code: "invalid_type")
            }
            let templateRole = role == "developer" ? "system" : role
            var v = JinjaDict([("role", .string(templateRole)), ("content", text.map(JinjaValue.string) ?? .none)])
            if let name = m["name"] as? String { v["name"] = .string(name) }
            if let calls, !calls.isEmpty { v["tool_calls"] = .array(calls) }
            if role == "tool" {
                guard let id = m["tool_call_id"] as? String, !id.isEmpty else {
                    throw APIError.invalid("\(param).tool_call_id is required on a tool message.", param: "\(param).tool_call_id", code: "missing_required_parameter")
                }
                v["tool_call_id"] = .string(id)
            }
            plain.append(ChatMessage(role: templateRole, content: text ?? ""))
            values.append(.dict(v))
        }
        return (plain, values)
    }

    static func parseToolCalls(_ value: Any?, param: String) throws(APIError) -> [JinjaValue]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let list = value as? [Any] else { throw APIError.invalid("'\(param)' must be an array.", param: param, code: "invalid_type") }
        var out: [JinjaValue] = []
        for (i, item) in list.enumerated() {
            let at = "\(param)[\(i)]"
            guard let c = item as? [String: Any], let f = c["function"] as? [String: Any], let name = f["name"] as? String else {
                throw APIError.invalid("\(at) must be {id, type: 'function', function: {name, arguments}}.", param: at, code: "invalid_type")
            }
            let raw = f["arguments"] as? String ?? "{}"
            let arguments: JinjaValue
            do { arguments = try JinjaValue.parseJSON(raw) } catch {
                throw APIError.invalid("\(at).function.arguments is not valid JSON.", param: "\(at).function.arguments")
            }
            out.append(.dict(JinjaDict([("id", .string(c["id"] as? String ?? "")), ("type", .string("function")),
                                        ("function", .dict(JinjaDict([("name", .string(name)), ("arguments", arguments)])))])))
        }
        return out
    }

    /// OpenAI's `logit_bias`: token id (as a string) to a bias in -100...100.
    static func parseLogitBias(_ value: Any?) throws(APIError) -> [Int: Float] {
        guard let value, !(value is NSNull) else { return [:] }
        guard let bias = value as? [String: Any] else {
            throw APIError.invalid("'logit_bias' must be an object.", param: "logit_bias", code: "invalid_type")
        }
        guard bias.count <= 300 else { throw APIError.invalid("'logit_bias' may hold at most 300 tokens.", param: "logit_bias") }
        var out: [Int: Float] = [:]
        for (k, v) in bias {
            guard let id = Int(k), id >= 0 else { throw APIError.invalid("'logit_bias' keys must be token ids, got '\(k)'.", param: "logit_bias") }
            guard let n = v as? NSNumber, !(v is Bool), (-100...100).contains(n.doubleValue) else {
                throw APIError.invalid("'logit_bias' values must be numbers from -100 to 100.", param: "logit_bias")
            }
            out[id] = n.floatValue
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

    package static func parse(_ object: [String: Any]) throws(APIError) -> EmbeddingRequest {
        let p = Params(object: object)
        try p.only(["model", "input", "encoding_format", "dimensions", "user"])
        let model = try p.requiredString("model")
        guard let raw = object["input"], !(raw is NSNull) else {
            throw APIError.invalid("Missing required parameter: 'input'.", param: "input", code: "missing_required_parameter")
        }
        var inputs: [PromptInput]
        if let s = raw as? String {
            inputs = [.text(s)]
        } else {
            do { inputs = try GenerationRequest.parsePrompt(raw) } catch {
                throw APIError.invalid("'input' must be a string, an array of strings, an array of token ids, or an array of token-id arrays.",
                                       param: "input", code: "invalid_type")
            }
        }
        guard inputs.count <= 2048 else { throw APIError.invalid("'input' may hold at most 2048 items.", param: "input") }
        for case .text(let t) in inputs where t.isEmpty {
            throw APIError.invalid("'input' cannot contain an empty string.", param: "input")
        }
        var r = EmbeddingRequest(model: model, inputs: inputs)
        switch try p.string("encoding_format") ?? "float" {
        case "float": r.base64 = false
        case "base64": r.base64 = true
        case let other: throw APIError.invalid("'encoding_format' must be 'float' or 'base64', got '\(other)'.", param: "encoding_format")
        }
        // Any integer here: which widths are allowed depends on the model (Embeddings.checkDimensions).
        r.dimensions = try p.integer("dimensions", in: Int.min...Int.max)
        _ = try p.string("user")
        return r
    }
}
