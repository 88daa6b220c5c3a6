import Foundation

/// Renders a model's own chat template with the variables transformers' `apply_chat_template`
/// passes: `messages`, `tools` (None when absent), `documents` (None), `add_generation_prompt`,
/// and the special tokens.
public struct ChatTemplateRenderer: Sendable {
    public let template: JinjaTemplate
    public let bosToken: String?
    public let eosToken: String?
    let now: @Sendable () -> Date

    public init(template: String, bosToken: String?, eosToken: String?, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.template = try JinjaTemplate(template)
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.now = now
    }

    /// Throws `JinjaError.raised` with the template's own message when the template rejects the
    /// conversation (for example a system message for Gemma, or roles that do not alternate).
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, tools: [JinjaValue]? = nil,
                       extra: [String: JinjaValue] = [:]) throws -> String {
        try render(messageValues: Self.values(messages), addGenerationPrompt: addGenerationPrompt, tools: tools, extra: extra)
    }

    /// Plain turns as the `{role, content}` dictionaries templates read.
    public static func values(_ messages: [ChatMessage]) -> [JinjaValue] {
        messages.map { m in .dict(JinjaDict([("role", .string(m.role)), ("content", .string(m.content))])) }
    }

    /// For conversations richer than `ChatMessage` (tool calls, tool results), as JSON-shaped values.
    public func render(messageValues: [JinjaValue], addGenerationPrompt: Bool, tools: [JinjaValue]? = nil,
                       extra: [String: JinjaValue] = [:]) throws -> String {
        var context: [String: JinjaValue] = [
            "messages": .array(messageValues),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "tools": tools.map { .array($0) } ?? .none,
            "documents": .none,
        ]
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        for (k, v) in extra { context[k] = v }
        return try template.render(context, now: now)
    }
}
