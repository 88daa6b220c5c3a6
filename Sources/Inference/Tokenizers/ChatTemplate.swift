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
