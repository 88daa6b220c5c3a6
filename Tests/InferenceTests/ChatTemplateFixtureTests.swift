import Foundation
import Testing
import Inference

/// Cases rendered by Python jinja2 with transformers' environment
/// (see Fixtures/make_chat_template_fixtures.py); every one must match byte for byte.
private struct Fixture {
    let root: JinjaOrderedDict<JinjaValue>

    static func load() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/chat/chat_templates", withExtension: "json"))
        guard case .object(let o) = try JinjaValue(json: Data(contentsOf: url)) else { throw FixtureError.shape }
        return Fixture(root: o)
    }
}

private enum FixtureError: Error { case shape }

private extension JinjaValue {
    subscript(_ key: String) -> JinjaValue {
        if case .object(let o) = self { return o[key] ?? .undefined }
        return .undefined
    }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var array: [JinjaValue] { if case .array(let a) = self { return a }; return [] }
    var object: JinjaOrderedDict<JinjaValue> { if case .object(let o) = self { return o }; return JinjaOrderedDict() }
}

@Suite struct ChatTemplateFixtureTests {
    @Test func everyPublishedTemplateCaseRendersLikeJinja2() throws {
        let fx = try Fixture.load()
        let templates = fx.root["templates"] ?? .undefined
        let cases = fx.root["cases"]?.array ?? []
        #expect(cases.count > 100)
        for c in cases {
            let name = c["name"].string ?? "?"
            let tpl = templates[c["template"].string ?? ""]
            let source = try #require(tpl["source"].string)
            let messages = c["messages"].array
            let plain = messages.allSatisfy { $0.object.keys == ["role", "content"] }
            var extra: [String: JinjaValue] = [:]
            for (k, v) in c["extra"].object.pairs { extra[k] = v }
            let result: Result<String, Error>
            if plain, case .none = c["tools"] {
                let renderer = try ChatTemplateRenderer(template: source, bosToken: c["bos_token"].string, eosToken: c["eos_token"].string)
                let msgs = messages.map { ChatMessage(role: $0["role"].string ?? "", content: $0["content"].string ?? "") }
                let agp = c["add_generation_prompt"] == .bool(true)
                result = Result { try renderer.render(messages: msgs, addGenerationPrompt: agp, extra: extra) }
            } else {
                var ctx: [String: JinjaValue] = ["messages": .array(messages), "tools": c["tools"], "documents": .none,
                                                 "add_generation_prompt": c["add_generation_prompt"]]
                if let b = c["bos_token"].string { ctx["bos_token"] = .string(b) }
                if let e = c["eos_token"].string { ctx["eos_token"] = .string(e) }
                for (k, v) in extra { ctx[k] = v }
                result = Result { try JinjaTemplate(source).render(ctx) }
            }
            if let expected = c["output"].string {
                switch result {
                case .success(let out): #expect(out == expected, "\(name)")
                case .failure(let e): Issue.record("\(name) threw \(e)")
                }
            } else {
                let message = c["error"].string
                switch result {
                case .success(let out): Issue.record("\(name) rendered \(out.debugDescription) but jinja2 raised \(message ?? "")")
                case .failure(let e): #expect(e as? JinjaError == .raised(message ?? ""), "\(name)")
                }
            }
        }
    }

    @Test func featureSnippetsRenderLikeJinja2() throws {
        let fx = try Fixture.load()
        var ctx: [String: JinjaValue] = [:]
        for (k, v) in (fx.root["snippet_context"]?.object ?? JinjaOrderedDict()).pairs { ctx[k] = v }
        let snippets = fx.root["snippets"]?.array ?? []
        #expect(snippets.count > 20)
        for s in snippets {
            let src = s["template"].string ?? ""
            let expected = try #require(s["output"].string, "snippet \(src) failed in jinja2")
            do {
                #expect(try JinjaTemplate(src).render(ctx) == expected, "\(src)")
            } catch {
                Issue.record("\(src.debugDescription) threw \(error)")
            }
        }
    }
}
