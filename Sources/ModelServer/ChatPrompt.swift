import Foundation
import Inference

/// The prompt text of a chat request: the model's own template with the request's tools, or,
/// for a template that has no place for tools, the tools described in a system turn in the
/// Hermes form (which the answer is then read in).
struct ChatPrompt {
    var text: String
    /// How tool calls in the answer are written; nil when the request has no tools to call.
    var format: ToolCallFormat?

    static func render(_ req: GenerationRequest, model lm: any TextGenerationModel, addGenerationPrompt: Bool = true) throws(APIError) -> ChatPrompt {
        var messages = req.messageValues
        var tools: [JinjaValue]? = nil
        var format: ToolCallFormat? = nil
        let template = lm.chatTemplateText
        let templateTakesTools = template?.contains("tools") ?? false
        if !templateTakesTools { messages = messages.map(flattenToolTurns) }
        if let t = req.tools, t.choice != .none, !t.tools.isEmpty {
            if let template, templateTakesTools {
                tools = t.tools.map(\.value)
                format = ToolCallFormat.of(template: template)
            } else {
                messages = withToolsTurn(messages, t.tools)
                format = .hermes
            }
        }
        do {
            return ChatPrompt(text: try lm.renderChat(messageValues: messages, tools: tools, addGenerationPrompt: addGenerationPrompt), format: format)
        } catch ChatTemplateError.missing {
            // A model without a template gets the documented default: ChatML.
            return ChatPrompt(text: chatML(messages, addGenerationPrompt: addGenerationPrompt), format: format)
        } catch {
            // Never a guessed prompt for a model whose own template could not be rendered.
            throw APIError.invalid("\(error)", param: "messages", code: "chat_template_error")
        }
    }

    /// The tools as a system turn (merged into the conversation's own system turn, if any).
    static func withToolsTurn(_ messages: [JinjaValue], _ tools: [ChatTools.Tool]) -> [JinjaValue] {
        let signatures = tools.compactMap { try? $0.value.jsonText() }.joined(separator: "\n")
        let instructions = """
            # Tools

            Functions you can call are listed in <tools></tools> tags, one JSON signature per line:
            <tools>
            \(signatures)
            </tools>

            To call a function, answer with a JSON object holding its name and arguments inside <tool_call></tool_call> tags, one block per call:
            <tool_call>
            {"name": "function name", "arguments": {"argument": "value"}}
            </tool_call>
            """
        var out = messages
        if case .dict(var first)? = out.first, case .string("system")? = first["role"] {
            let own: String
            if case .string(let s)? = first["content"] { own = s } else { own = "" }
            first["content"] = .string(own.isEmpty ? instructions : own + "\n\n" + instructions)
            out[0] = .dict(first)
        } else {
            out.insert(.dict(JinjaDict([("role", "system"), ("content", .string(instructions))])), at: 0)
        }
        return out.map(flattenToolTurns)
    }

    /// Tool calls and tool results as the text a template without tool support can print.
    static func flattenToolTurns(_ v: JinjaValue) -> JinjaValue {
        guard case .dict(var d) = v, case .string(let role)? = d["role"] else { return v }
        var content = ""
        if case .string(let c)? = d["content"] { content = c }
        if role == "assistant", case .array(let calls)? = d["tool_calls"] {
            for c in calls {
                guard case .dict(let call) = c, case .dict(let f)? = call["function"] else { continue }
                let body = JinjaValue.dict(JinjaDict([("name", f["name"] ?? .none), ("arguments", f["arguments"] ?? .dict(JinjaDict()))]))
                content += (content.isEmpty ? "" : "\n") + "<tool_call>\n" + ((try? body.jsonText()) ?? "{}") + "\n</tool_call>"
            }
            d["tool_calls"] = nil
        }
        if role == "tool" {
            d["role"] = "user"
            content = "<tool_response>\n" + content + "\n</tool_response>"
            d["tool_call_id"] = nil
        }
        d["content"] = .string(content)
        return .dict(d)
    }

    /// ChatML (SmolLM2's and Qwen's framing) for models whose files carry no template.
    static func chatML(_ messages: [JinjaValue], addGenerationPrompt: Bool = true) -> String {
        messages.map(flattenToolTurns).map { v -> String in
            guard case .dict(let d) = v, case .string(let role)? = d["role"] else { return "" }
            var content = ""
            if case .string(let c)? = d["content"] { content = c }
            return "<|im_start|>\(role)\n\(content)<|im_end|>\n"
        }.joined() + (addGenerationPrompt ? "<|im_start|>assistant\n" : "")
    }
}
