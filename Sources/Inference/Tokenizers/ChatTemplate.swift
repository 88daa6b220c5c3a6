import Foundation

public enum ChatTemplateError: Error, CustomStringConvertible {
    /// The model carries no chat template (a caller may fall back to a documented default).
    case missing
    /// The template uses something this renderer does not implement.
    case unsupported(String)
    /// The template itself refused the conversation (`raise_exception`), or failed while rendering.
    case rejected(String)

    public var description: String {
        switch self {
        case .missing: return "the model carries no chat template"
        case .unsupported(let why): return "the model's chat template is not supported: \(why)"
        case .rejected(let why): return "the model's chat template rejected the conversation: \(why)"
        }
    }
}

/// ChatML (`<|im_start|>role\ncontent<|im_end|>\n`), rendered as the model's own Jinja template
/// renders it. The template is read, not guessed: a default system message that the template
/// inserts when the conversation has none is taken verbatim from the template text.
/// Tests compare the output with llama.cpp's rendering of the same template.
public struct ChatMLTemplate: Sendable, Equatable {
    public let defaultSystemPrompt: String?

    public init(defaultSystemPrompt: String?) { self.defaultSystemPrompt = defaultSystemPrompt }

    /// Recognises a ChatML Jinja template; throws for any other template.
    public init(jinja source: String) throws {
        // Jinja string literals may hold a real newline or the escape `\n`; compare one form.
        let jinja = source.replacingOccurrences(of: "\n", with: "\\n")
        guard jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>"),
              jinja.contains("'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'"),
              jinja.contains("add_generation_prompt"), jinja.contains("'<|im_start|>assistant\\n'")
        else { throw ChatTemplateError.unsupported("only ChatML templates can be rendered") }
        // {% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n...<|im_end|>\n' }}{% endif %}
        let marker = "messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n"
        if let r = jinja.range(of: marker) {
            guard let end = jinja[r.upperBound...].range(of: "<|im_end|>") else {
                throw ChatTemplateError.unsupported("default system message is not closed")
            }
            defaultSystemPrompt = Self.unescapeJinjaString(String(jinja[r.upperBound..<end.lowerBound]))
        } else if jinja.contains("loop.first") {
            throw ChatTemplateError.unsupported("a first-message rule this renderer does not know")
        } else {
            defaultSystemPrompt = nil
        }
    }

    /// Jinja single-quoted string escapes.
    static func unescapeJinjaString(_ s: String) -> String {
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\", let n = it.next() else { out.append(c); continue }
            switch n {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            default: out.append(n)
            }
        }
        return out
    }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        if let sys = defaultSystemPrompt, let first = messages.first, first.role != "system" {
            out += "<|im_start|>system\n\(sys)<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
