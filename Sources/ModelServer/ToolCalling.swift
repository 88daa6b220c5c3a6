import HTTPSupport
import Foundation
import Inference

/// `tool_choice`, as OpenAI defines it.
enum ToolChoice: Sendable, Equatable {
    case auto, none, required
    case function(String)
}

/// A request's `tools` (kept with key order for the template's `tojson`) and `tool_choice`.
struct ChatTools: Sendable {
    struct Tool: Sendable {
        var name: String
        /// The whole `{"type": "function", "function": {...}}` object, for the template.
        var value: JinjaValue
        /// `function.parameters` (an empty object schema when absent).
        var parameters: JinjaValue
    }

    var tools: [Tool]
    var choice: ToolChoice
    var parallel: Bool

    static func parse(_ body: GenerationBody, ordered: JinjaValue?) throws(APIError) -> ChatTools? {
        let parallel = try body.parallelToolCalls.bool("parallel_tool_calls") ?? true
        guard let sent = body.tools else {
            if body.toolChoice != nil { throw APIError.invalid("'tool_choice' is only allowed when 'tools' are given.", param: "tool_choice") }
            return nil
        }
        guard case .value(let list) = sent else { throw APIError.invalid("'tools' must be an array.", param: "tools", code: "invalid_type") }
        guard list.count <= 128 else { throw APIError.invalid("'tools' may hold at most 128 tools.", param: "tools") }
        var orderedList: [JinjaValue] = []
        if case .dict(let d)? = ordered, case .array(let a)? = d["tools"] { orderedList = a }
        var tools: [Tool] = []
        for (i, item) in list.enumerated() {
            let at = "tools[\(i)]"
            guard case .value(let t) = item, t.type?.value == "function", case .value(let f)? = t.function else {
                throw APIError.invalid("\(at) must be {type: 'function', function: {name, description, parameters}}.", param: at, code: "invalid_type")
            }
            guard let name = f.value.name?.value, !name.isEmpty, name.count <= 64,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw APIError.invalid("\(at).function.name must be 1-64 letters, digits, '_' or '-'.", param: "\(at).function.name")
            }
            guard !tools.contains(where: { $0.name == name }) else { throw APIError.invalid("Two tools are named '\(name)'.", param: at) }
            let value = i < orderedList.count ? orderedList[i] : .none
            var parameters: JinjaValue = .dict(JinjaDict([("type", .string("object")), ("properties", .dict(JinjaDict()))]))
            if case .dict(let tv) = value, case .dict(let fv)? = tv["function"], let ps = fv["parameters"] { parameters = ps }
            // A `null` here is sent, and is no schema.
            if f.keys.contains("parameters"), f.value.parameters?.object == nil {
                throw APIError.invalid("\(at).function.parameters must be a JSON schema object.", param: "\(at).function.parameters")
            }
            tools.append(Tool(name: name, value: value, parameters: parameters))
        }
        var choice = ToolChoice.auto
        switch body.toolChoice {
        case nil: break
        case .value(.mode(let s))?:
            switch s {
            case "auto": choice = .auto
            case "none": choice = .none
            case "required": choice = .required
            default: throw APIError.invalid("'tool_choice' must be 'auto', 'none', 'required' or a named function.", param: "tool_choice")
            }
        case .value(.function(let name))?:
            guard tools.contains(where: { $0.name == name }) else {
                throw APIError.invalid("'tool_choice' names '\(name)', which is not among the tools.", param: "tool_choice")
            }
            choice = .function(name)
        case .wrong?:
            throw APIError.invalid("'tool_choice' must be 'auto', 'none', 'required' or {type: 'function', function: {name}}.", param: "tool_choice", code: "invalid_type")
        }
        if tools.isEmpty && choice != .none && choice != .auto {
            throw APIError.invalid("'tool_choice' requires at least one tool.", param: "tool_choice")
        }
        return ChatTools(tools: tools, choice: choice, parallel: parallel)
    }

    /// What sampling must follow for `required` and a named function (vLLM's shapes): a JSON
    /// array of `{"name", "parameters"}` calls, or the named function's arguments alone.
    func grammar() throws(APIError) -> JSONGrammar? {
        func compile(_ schema: JinjaValue, _ param: String) throws(APIError) -> JSONGrammar {
            do { return try JSONGrammar(schema: schema) } catch {
                throw APIError.invalid("\(param): \(error.description)", param: param, code: "unsupported_schema")
            }
        }
        switch choice {
        case .auto, .none: return nil
        case .function(let name):
            return try compile(tools.first { $0.name == name }!.parameters, "tools")
        case .required:
            let calls: [JinjaValue] = tools.map { t in
                .dict(JinjaDict([("type", "object"),
                                 ("properties", .dict(JinjaDict([("name", .dict(JinjaDict([("const", .string(t.name))]))),
                                                                 ("parameters", t.parameters)]))),
                                 ("required", ["name", "parameters"])]))
            }
            var array = JinjaDict([("type", "array"), ("items", .dict(JinjaDict([("anyOf", .array(calls))]))), ("minItems", 1)])
            if !parallel { array["maxItems"] = 1 }
            return try compile(.dict(array), "tools")
        }
    }
}

/// `response_format`: text, any JSON object, or a JSON schema, the latter two enforced by the grammar.
enum ResponseFormat {
    static func grammar(_ value: Field<ResponseFormatBody>?, ordered: JinjaValue?) throws(APIError) -> JSONGrammar? {
        guard let value else { return nil }
        guard case .value(let f) = value, let type = f.type?.value else {
            throw APIError.invalid("'response_format' must be an object with a 'type'.", param: "response_format", code: "invalid_type")
        }
        switch type {
        case "text": return nil
        case "json_object": return JSONGrammar.anyObject
        case "json_schema":
            guard case .value(let js)? = f.jsonSchema else {
                throw APIError.invalid("'response_format.json_schema' is required for type 'json_schema'.", param: "response_format.json_schema",
                                       code: "missing_required_parameter")
            }
            guard let name = js.name?.value, !name.isEmpty else {
                throw APIError.invalid("'response_format.json_schema.name' is required.", param: "response_format.json_schema.name",
                                       code: "missing_required_parameter")
            }
            var schema: JinjaValue = .dict(JinjaDict([("type", "object")]))
            if case .dict(let d)? = ordered, case .dict(let rf)? = d["response_format"], case .dict(let j)? = rf["json_schema"],
               let s = j["schema"] { schema = s }
            do { return try JSONGrammar(schema: schema) } catch {
                throw APIError.invalid("response_format.json_schema.schema: \(error.description)", param: "response_format.json_schema.schema",
                                       code: "unsupported_schema")
            }
        default:
            throw APIError.invalid("'response_format.type' must be 'text', 'json_object' or 'json_schema', got '\(type)'.", param: "response_format.type")
        }
    }
}

/// A tool call read out of generated text.
struct ParsedToolCall: Sendable, Equatable {
    var id: String
    var name: String
    /// The arguments as JSON text (what `function.arguments` carries).
    var arguments: String
}

/// The forms in which models write tool calls, chosen from the chat template: Hermes/Qwen
/// `<tool_call>{...}</tool_call>`, Llama 3.x bare JSON `{"name", "parameters"}`, and Mistral's
/// `[TOOL_CALLS][...]`.
enum ToolCallFormat: Sendable {
    case hermes, llama3JSON, mistral

    static func of(template: String?) -> ToolCallFormat {
        guard let t = template else { return .hermes }
        if t.contains("[TOOL_CALLS]") { return .mistral }
        if t.contains("<tool_call>") { return .hermes }
        if t.contains("<|python_tag|>") || t.contains("ipython") { return .llama3JSON }
        return .hermes
    }

    /// Where a tool call may start in the text (streaming holds content back from here).
    var marker: String {
        switch self {
        case .hermes: return "<tool_call>"
        case .mistral: return "[TOOL_CALLS]"
        case .llama3JSON: return "{"
        }
    }

    static func newID() -> String {
        "call_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    /// Content before the calls (nil when there is none) and the calls; no calls when the text
    /// holds none that parse.
    func parse(_ text: String) -> (content: String?, calls: [ParsedToolCall]) {
        func call(_ v: JinjaValue) -> ParsedToolCall? {
            guard case .dict(let d) = v, case .string(let name)? = d["name"] else { return nil }
            var args = d["arguments"] ?? d["parameters"] ?? .dict(JinjaDict())
            if case .string(let s) = args, let inner = try? JinjaValue.parseJSON(s) { args = inner }
            guard let json = try? args.jsonText() else { return nil }
            return ParsedToolCall(id: Self.newID(), name: name, arguments: json)
        }
        func content(_ s: Substring) -> String? {
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        switch self {
        case .hermes:
            guard let first = text.range(of: "<tool_call>") else { return (text, []) }
            var calls: [ParsedToolCall] = []
            var rest = text[first.lowerBound...]
            while let open = rest.range(of: "<tool_call>") {
                let after = rest[open.upperBound...]
                let close = after.range(of: "</tool_call>")
                let body = close.map { after[..<$0.lowerBound] } ?? after
                guard let v = try? JinjaValue.parseJSON(body.trimmingCharacters(in: .whitespacesAndNewlines)), let c = call(v) else { return (text, []) }
                calls.append(c)
                guard let close else { break }
                rest = after[close.upperBound...]
            }
            return (content(text[..<first.lowerBound]), calls)
        case .mistral:
            guard let m = text.range(of: "[TOOL_CALLS]") else { return (text, []) }
            let body = text[m.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            guard let v = try? JinjaValue.parseJSON(body) else { return (text, []) }
            let items: [JinjaValue]
            if case .array(let a) = v { items = a } else { items = [v] }
            let calls = items.compactMap(call)
            return calls.count == items.count && !calls.isEmpty ? (content(text[..<m.lowerBound]), calls) : (text, [])
        case .llama3JSON:
            var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if body.hasPrefix("<|python_tag|>") { body = String(body.dropFirst("<|python_tag|>".count)) }
            var calls: [ParsedToolCall] = []
            for part in body.split(separator: ";") {
                guard let v = try? JinjaValue.parseJSON(String(part)), let c = call(v) else { return (text, []) }
                calls.append(c)
            }
            return (nil, calls)
        }
    }

    /// The calls of a grammar-constrained answer (`required`: an array of {name, parameters};
    /// a named function: its arguments alone).
    static func constrained(_ text: String, choice: ToolChoice) -> [ParsedToolCall] {
        guard let v = (try? JinjaValue.parseJSON(text)) ?? (choice == .required ? wholeCalls(text) : nil) else { return [] }
        switch choice {
        case .function(let name):
            guard let args = try? v.jsonText() else { return [] }
            return [ParsedToolCall(id: newID(), name: name, arguments: args)]
        case .required:
            guard case .array(let items) = v else { return [] }
            return items.compactMap { item in
                guard case .dict(let d) = item, case .string(let name)? = d["name"], let args = try? (d["parameters"] ?? .dict(JinjaDict())).jsonText() else { return nil }
                return ParsedToolCall(id: newID(), name: name, arguments: args)
            }
        case .auto, .none:
            return []
        }
    }
}

/// The calls that were complete when a `required` array was cut off by `max_tokens`.
private func wholeCalls(_ text: String) -> JinjaValue? {
    var end = text.endIndex
    while let close = text[..<end].lastIndex(of: "}") {
        if let v = try? JinjaValue.parseJSON(String(text[...close]) + "]"), case .array(let a) = v, !a.isEmpty { return v }
        end = close
    }
    return nil
}

/// The tool calls in a finished answer, read the way the request asked for them.
struct ToolAnswer {
    var content: String?
    var calls: [ParsedToolCall]

    init?(text: String, tools: ChatTools?, format: ToolCallFormat?) {
        guard let tools, tools.choice != .none else { return nil }
        switch tools.choice {
        case .required, .function:
            content = nil
            calls = ToolCallFormat.constrained(text, choice: tools.choice)
        case .auto, .none:
            guard let format else { return nil }
            (content, calls) = format.parse(text)
        }
    }
}

/// Streams an answer's content while holding back what may be the start of a tool call, so
/// that a stream carries the same tool calls as the whole answer and never their raw text.
struct ToolCallStreamFilter: Sendable {
    let tools: ChatTools
    let format: ToolCallFormat?
    private var bytes: [UInt8] = []
    private var sent = 0
    private var holding = false

    init(tools: ChatTools, format: ToolCallFormat?) {
        self.tools = tools
        self.format = format
    }

    /// The content to send now for a newly generated piece of text.
    mutating func add(_ piece: String) -> String {
        bytes.append(contentsOf: piece.utf8)
        guard tools.choice == .auto, let format, !holding else { return "" }
        let pending = Array(bytes[sent...])
        let marker = Array(format.marker.utf8)
        if format == .llama3JSON {
            // Llama 3 writes a call as the whole answer: hold while the answer may still start one.
            guard sent == 0 else { return flush(pending.count) }
            let lead = pending.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
            let tag = Array("<|python_tag|>".utf8)
            if lead.isEmpty { return "" }
            if lead.first == UInt8(ascii: "{") || lead.starts(with: tag) { holding = true; return "" }
            if tag.starts(with: lead) { return "" }
            return flush(pending.count)
        }
        if let at = Self.find(marker, in: pending) {
            holding = true
            return flush(at)
        }
        // Keep back a tail that could be the marker's beginning.
        var keep = min(marker.count - 1, pending.count)
        while keep > 0 && !marker.starts(with: pending[(pending.count - keep)...]) { keep -= 1 }
        return flush(pending.count - keep)
    }

    /// What is left once generation ends: content not yet sent, and the calls.
    mutating func finish() -> (content: String, calls: [ParsedToolCall]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let calls = ToolAnswer(text: text, tools: tools, format: format)?.calls ?? []
        if !calls.isEmpty { return ("", calls) }
        let rest = String(decoding: bytes[sent...], as: UTF8.self)
        sent = bytes.count
        return (rest, [])
    }

    private mutating func flush(_ n: Int) -> String {
        let out = String(decoding: bytes[sent..<(sent + n)], as: UTF8.self)
        sent += n
        return out
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
