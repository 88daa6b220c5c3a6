import Foundation
import Testing
import Inference

/// Published chat templates rendered by Python jinja2 in transformers' environment
/// (Fixtures/make_chat_template_fixtures.py). Every case must match byte for byte, or raise
/// the same `raise_exception` message.
private struct ChatFixture: Decodable {
    struct Template: Decodable {
        let name: String
        let model: String
        let bos_token: String?
        let eos_token: String?
        let template: String
        let cases: [Case]
    }
    struct Case: Decodable {
        let name: String
        let messages_json: String
        let tools_json: String?
        let extra_json: String
        let add_generation_prompt: Bool
        let expected: String?
        let raised: String?
        let error: String?
    }
    let now: String
    let templates: [Template]

    /// Strings are decoded by Foundation; only the conversation JSON goes through the
    /// interpreter's own order-preserving reader, as a server would use it.
    static let shared: ChatFixture = {
        let url = Bundle.module.url(forResource: "Fixtures/chat/chat_templates", withExtension: "json")!
        return try! JSONDecoder().decode(ChatFixture.self, from: Data(contentsOf: url))
    }()

    /// The fixed clock the fixture was rendered with, in local time like Python's naive datetime.
    var fixedNow: Date {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = .current
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return f.date(from: now)!
    }
}

private func plainMessages(_ values: [JinjaValue]) -> [ChatMessage]? {
    var out: [ChatMessage] = []
    for v in values {
        guard case .dict(let d) = v, d.keys == ["role", "content"],
              case .string(let role)? = d["role"], case .string(let content)? = d["content"] else { return nil }
        out.append(ChatMessage(role: role, content: content))
    }
    return out
}

@Suite struct ChatTemplateRenderingTests {
    static let templateNames = ChatFixture.shared.templates.map(\.name)

    @Test func fixtureCoversThePublishedTemplateFamilies() {
        let names = Set(Self.templateNames)
        for family in ["llama-3.2-instruct", "qwen2.5-instruct", "mistral-7b-instruct-v0.2", "gemma-2-it",
                       "phi-3-mini-4k-instruct", "smollm2-instruct", "deepseek-r1-distill-qwen", "tinyllama-zephyr"] {
            #expect(names.contains(family))
        }
        #expect(ChatFixture.shared.templates.map(\.cases.count).reduce(0, +) > 150)
    }

    @Test(arguments: templateNames)
    func everyFixtureCaseRendersLikeJinja2(templateName: String) throws {
        let fixture = ChatFixture.shared
        let spec = try #require(fixture.templates.first { $0.name == templateName })
        let now = fixture.fixedNow
        let renderer = try ChatTemplateRenderer(template: spec.template, bosToken: spec.bos_token, eosToken: spec.eos_token,
                                                now: { now })
        for c in spec.cases {
            guard case .array(let messages) = try JinjaValue(json: c.messages_json) else {
                Issue.record("\(c.name): messages are not a list"); continue
            }
            var tools: [JinjaValue]?
            if let t = c.tools_json, case .array(let list) = try JinjaValue(json: t) { tools = list }
            var extra: [String: JinjaValue] = [:]
            if case .dict(let d) = try JinjaValue(json: c.extra_json) { for (k, v) in d.pairs { extra[k] = v } }

            let result = Result<String, Error> {
                if let plain = plainMessages(messages) {
                    return try renderer.render(messages: plain, addGenerationPrompt: c.add_generation_prompt, tools: tools, extra: extra)
                }
                return try renderer.render(messageValues: messages, addGenerationPrompt: c.add_generation_prompt, tools: tools, extra: extra)
            }
            switch (result, c.expected, c.raised) {
            case (.success(let out), let expected?, _):
                #expect(out == expected, "\(templateName)/\(c.name)")
            case (.failure(let error), _, let message?):
                #expect(error as? JinjaError == .raised(message: message), "\(templateName)/\(c.name): \(error)")
            case (.failure(let error), nil, nil):
                #expect(error is JinjaError, "\(templateName)/\(c.name): jinja2 failed with \(c.error ?? "?"), we threw \(error)")
            case (.success(let out), nil, _):
                Issue.record("\(templateName)/\(c.name): jinja2 failed (\(c.raised ?? c.error ?? "?")) but we rendered \(out.debugDescription)")
            case (.failure(let error), _, nil):
                Issue.record("\(templateName)/\(c.name): threw \(error)")
            }
        }
    }

    @Test func raisedTemplateMessageReachesTheCaller() throws {
        let gemma = try #require(ChatFixture.shared.templates.first { $0.name == "gemma-2-it" })
        let renderer = try ChatTemplateRenderer(template: gemma.template, bosToken: "<bos>", eosToken: "<eos>")
        #expect(throws: JinjaError.raised(message: "System role not supported")) {
            try renderer.render(messages: [ChatMessage(role: "system", content: "s"), ChatMessage(role: "user", content: "u")],
                                addGenerationPrompt: true)
        }
    }

    @Test func toolSchemaKeysKeepTheirOrderThroughTojson() throws {
        let qwen = try #require(ChatFixture.shared.templates.first { $0.name == "qwen2.5-instruct" })
        let renderer = try ChatTemplateRenderer(template: qwen.template, bosToken: nil, eosToken: "<|im_end|>")
        let tool = try JinjaValue(json: #"{"type": "function", "function": {"name": "z_last", "description": "é", "parameters": {}}}"#)
        let out = try renderer.render(messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true, tools: [tool])
        #expect(out.contains(#"<tools>"# + "\n" + #"{"type": "function", "function": {"name": "z_last", "description": "é", "parameters": {}}}"# + "\n</tools>"))
    }
}
