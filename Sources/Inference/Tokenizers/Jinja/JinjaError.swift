import Foundation

/// Why a template could not be parsed or rendered. Every failure names the template line, so a
/// model whose template uses something this interpreter does not do is reported, not misrendered.
public enum JinjaError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The template text is not valid Jinja (jinja2 would reject it too).
    case syntax(line: Int, message: String)
    /// Valid Jinja that this interpreter deliberately does not implement.
    case unsupported(line: Int, feature: String)
    /// The template called `raise_exception(message)`; the message is the template author's.
    case raised(message: String)
    /// An operation on values of the wrong type (Python's TypeError / ValueError).
    case type(line: Int, message: String)
    /// Use of an undefined value where jinja2's `Undefined` raises (attribute of undefined, arithmetic).
    case undefined(line: Int, message: String)
    /// What jinja2's ImmutableSandboxedEnvironment refuses, such as `list.append`.
    case security(line: Int, message: String)

    public var description: String {
        switch self {
        case .syntax(let line, let message): return "template syntax error at line \(line): \(message)"
        case .unsupported(let line, let feature): return "unsupported template feature at line \(line): \(feature)"
        case .raised(let message): return message
        case .type(let line, let message): return "template type error at line \(line): \(message)"
        case .undefined(let line, let message): return "template undefined error at line \(line): \(message)"
        case .security(let line, let message): return "template security error at line \(line): \(message)"
        }
    }

    /// The same error, re-attributed to a line once the failing statement is known.
    func at(line: Int) -> JinjaError {
        switch self {
        case .syntax(0, let m): return .syntax(line: line, message: m)
        case .unsupported(0, let m): return .unsupported(line: line, feature: m)
        case .type(0, let m): return .type(line: line, message: m)
        case .undefined(0, let m): return .undefined(line: line, message: m)
        case .security(0, let m): return .security(line: line, message: m)
        default: return self
        }
    }
}
