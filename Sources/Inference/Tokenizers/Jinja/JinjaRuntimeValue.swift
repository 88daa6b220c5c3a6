import Foundation

/// Mutable state of a `namespace(...)`; shared by reference as in Python.
final class JinjaNamespace {
    var attrs = JinjaOrderedDict<JinjaRuntimeValue>()
}

struct JinjaMacro {
    let name: String
    let params: [(String, JinjaExpr?)]
    let body: [JinjaNode]
}

/// JinjaInterpreter-side value: data plus the callables and namespaces templates can create.
indirect enum JinjaRuntimeValue {
    case undefined
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaRuntimeValue])
    case dict(JinjaOrderedDict<JinjaRuntimeValue>)
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)
    case function(String)
    case method(JinjaRuntimeValue, String)

    init(_ v: JinjaValue) {
        switch v {
        case .undefined: self = .undefined
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JinjaRuntimeValue.init))
        case .object(let o): self = .dict(JinjaOrderedDict(o.pairs.map { ($0.0, JinjaRuntimeValue($0.1)) }))
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }

    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .dict(let d): return d.count > 0
        default: return true
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .function, .method: return "function"
        }
    }

    /// Python `str()`.
    var str: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// Python `repr()`, which is how lists and dicts print.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return JinjaRuntimeValue.pyFloat(d)
        case .string(let s): return JinjaRuntimeValue.pyRepr(s)
        case .array(let a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.pairs.map { JinjaRuntimeValue.pyRepr($0.0) + ": " + $0.1.repr }.joined(separator: ", ") + "}"
        case .namespace(let n): return "<Namespace " + JinjaRuntimeValue.dict(n.attrs).repr + ">"
        case .macro(let m): return "<Macro '\(m.name)'>"
        case .function(let n): return "<function \(n)>"
        case .method(_, let n): return "<built-in method \(n)>"
        }
    }

    static func pyFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        var s = "\(d)"
        // Swift writes 1e-05 as "1e-05" like Python, but large exponents as "1e+16" too; fine.
        if s.contains("e"), !s.contains("e-"), !s.contains("e+") { s = s.replacingOccurrences(of: "e", with: "e+") }
        return s
    }

    static func pyRepr(_ s: String) -> String {
        let q: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(q)
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(u) == q { out += "\\" + String(q) }
                else if u.value < 0x20 || u.value == 0x7f { out += String(format: "\\x%02x", u.value) }
                else { out.unicodeScalars.append(u) }
            }
        }
        out.append(q)
        return out
    }

    /// Python `==`, where 1 == 1.0 == True.
    static func equal(_ a: JinjaRuntimeValue, _ b: JinjaRuntimeValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.pairs.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        case (.namespace(let x), .namespace(let y)): return x === y
        default:
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    /// Numeric view, counting bools as Python does.
    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    var jinjaValue: JinjaValue {
        switch self {
        case .undefined: return .undefined
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.jinjaValue))
        case .dict(let d): return .object(JinjaOrderedDict(d.pairs.map { ($0.0, $0.1.jinjaValue) }))
        case .namespace(let n): return .object(JinjaOrderedDict(n.attrs.pairs.map { ($0.0, $0.1.jinjaValue) }))
        default: return .string(repr)
        }
    }
}
