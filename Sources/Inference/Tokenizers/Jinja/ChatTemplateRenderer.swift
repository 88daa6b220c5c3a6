/// Renders a Hugging Face `chat_template` with the variables transformers passes.
public struct ChatTemplateRenderer: Sendable {
    public let template: JinjaTemplate
    public let bosToken: String?
    public let eosToken: String?

    public init(template: String, bosToken: String?, eosToken: String?) throws {
        self.template = try JinjaTemplate(template)
        self.bosToken = bosToken
        self.eosToken = eosToken
    }

    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, tools: [JinjaValue]? = nil,
                       extra: [String: JinjaValue] = [:]) throws -> String {
        // transformers always passes tools and documents, as None when absent.
        var ctx: [String: JinjaValue] = [
            "messages": .array(messages.map { .object(JinjaOrderedDict([("role", .string($0.role)), ("content", .string($0.content))])) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "tools": tools.map { .array($0) } ?? .none,
            "documents": .none,
        ]
        if let bosToken { ctx["bos_token"] = .string(bosToken) }
        if let eosToken { ctx["eos_token"] = .string(eosToken) }
        for (k, v) in extra { ctx[k] = v }
        return try template.render(ctx)
    }
}
