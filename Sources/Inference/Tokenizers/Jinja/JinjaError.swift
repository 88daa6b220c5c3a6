public enum JinjaError: Error, CustomStringConvertible, Equatable {
    case syntax(String, line: Int)
    case unsupported(String, line: Int)
    /// `raise_exception(msg)` from the template; the payload is the template's own message.
    case raised(String)
    case type(String, line: Int)
    case undefined(String, line: Int)

    public var description: String {
        switch self {
        case .syntax(let m, let l): return "Jinja syntax error at line \(l): \(m)"
        case .unsupported(let m, let l): return "Jinja construct not supported at line \(l): \(m)"
        case .raised(let m): return m
        case .type(let m, let l): return "Jinja type error at line \(l): \(m)"
        case .undefined(let m, let l): return "Jinja undefined error at line \(l): \(m)"
        }
    }
}
