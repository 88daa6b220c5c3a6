import Foundation

/// Python's semantics for the operations templates perform on values: truthiness, `==`, `<`,
/// arithmetic, `in`, iteration, indexing and slicing. Strings are handled as sequences of code
/// points, as Python does (Swift's `Character` would merge "\r\n" and compare canonically).
enum JinjaOps {
    static func typeName(_ v: JinjaValue) -> String {
        switch v {
        case .none: return "NoneType"
        case .undefined: return "Undefined"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .dict: return "dict"
        case .object(let o):
            switch o.kind {
            case .tuple: return "tuple"
            case .namespace: return "Namespace"
            case .macro: return "Macro"
            case .function, .method: return "function"
            case .loop: return "LoopContext"
            }
        }
    }

    static func truthy(_ v: JinjaValue) -> Bool {
        switch v {
        case .none, .undefined: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .dict(let d): return !d.isEmpty
        case .object(let o):
            if case .tuple(let t) = o.kind { return !t.isEmpty }
            return true
        }
    }

    /// Numbers as Python sees them: `True` is 1.
    enum Number { case int(Int), double(Double) }
    static func number(_ v: JinjaValue) -> Number? {
        switch v {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        default: return nil
        }
    }
    static func double(_ n: Number) -> Double {
        switch n { case .int(let i): return Double(i); case .double(let d): return d }
    }

    static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }
    static func string(_ u: some Sequence<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: u)
        return String(v)
    }
    static func scalarsEqual(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }
    static func scalarsLess(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }
    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    static func equals(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        if let x = number(a), let y = number(b) {
            if case .int(let i) = x, case .int(let j) = y { return i == j }
            return double(x) == double(y)
        }
        switch (a, b) {
        case (.none, .none), (.undefined, .undefined): return true
        case (.string(let x), .string(let y)): return scalarsEqual(x, y)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equals($0, $1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.pairs.allSatisfy { p in y[p.key].map { equals(p.value, $0) } ?? false }
        case (.object(let x), .object(let y)):
            if case .tuple(let s) = x.kind, case .tuple(let t) = y.kind {
                return s.count == t.count && zip(s, t).allSatisfy { equals($0, $1) }
            }
            return x == y
        default: return false
        }
    }

    /// Python's `<`; mixed types raise as they do in Python 3.
    static func less(_ a: JinjaValue, _ b: JinjaValue, op: String = "<") throws -> Bool {
        if let x = number(a), let y = number(b) {
            if case .int(let i) = x, case .int(let j) = y { return i < j }
            return double(x) < double(y)
        }
        if case .string(let x) = a, case .string(let y) = b { return scalarsLess(x, y) }
        if let x = a.sequenceItems, let y = b.sequenceItems, typeName(a) == typeName(b) {
            for (p, q) in zip(x, y) where !equals(p, q) { return try less(p, q) }
            return x.count < y.count
        }
        if a.isUndefined || b.isUndefined { throw JinjaError.undefined(line: 0, message: "cannot compare an undefined value") }
        throw JinjaError.type(line: 0, message: "'\(op)' not supported between instances of '\(typeName(a))' and '\(typeName(b))'")
    }

    static func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        switch op {
        case "==": return equals(a, b)
        case "!=": return !equals(a, b)
        case "<": return try less(a, b, op: op)
        case ">": return try less(b, a, op: op)
        case "<=": return try !less(b, a, op: op)
        case ">=": return try !less(a, b, op: op)
        case "in": return try contains(b, a)
        case "not in": return try !contains(b, a)
        default: throw JinjaError.unsupported(line: 0, feature: "comparison operator \(op)")
        }
    }

    static func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else {
                throw JinjaError.type(line: 0, message: "'in <string>' requires string as left operand, not \(typeName(item))")
            }
            return find(scalars(s), scalars(sub), from: 0) != nil
        case .dict(let d):
            if case .string(let k) = item { return d[k] != nil }
            return false
        case .undefined: return false
        default:
            guard let items = container.sequenceItems else {
                throw JinjaError.type(line: 0, message: "argument of type '\(typeName(container))' is not iterable")
            }
            return items.contains { equals($0, item) }
        }
    }

    static func find(_ hay: [Unicode.Scalar], _ needle: [Unicode.Scalar], from start: Int) -> Int? {
        if needle.isEmpty { return start <= hay.count ? start : nil }
        guard hay.count >= needle.count, start <= hay.count - needle.count else { return nil }
        outer: for i in start...(hay.count - needle.count) {
            for j in 0..<needle.count where hay[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }

    /// What a `for` loop (and any filter that iterates) walks over.
    static func iterate(_ v: JinjaValue) throws -> [JinjaValue] {
        switch v {
        case .undefined: return []
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .dict(let d): return d.keys.map { .string($0) }
        default:
            if let items = v.sequenceItems { return items }
            throw JinjaError.type(line: 0, message: "'\(typeName(v))' object is not iterable")
        }
    }

    private static func undefinedOperand() -> JinjaError {
        .undefined(line: 0, message: "an undefined value was used in an arithmetic operation")
    }

    private static func overflow() -> JinjaError {
        .unsupported(line: 0, feature: "integers beyond 64 bits (Python would use a big integer)")
    }

    /// The most characters (or items) one repetition (`s * n`, `indent(n)`, `batch(n, fill)`) may
    /// make: without it a template asking for `'x' * 10**10` exhausted memory (FuzzChatTemplate).
    static let maxRepetition = 1 << 24

    static func checkRepetition(_ count: Int, of unit: Int) throws {
        let (total, overflow) = count.multipliedReportingOverflow(by: max(unit, 1))
        guard !overflow, total <= maxRepetition else {
            throw JinjaError.security(line: 0, message: "a repetition would make over \(maxRepetition) characters or items")
        }
    }

    static func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        if a.isUndefined || b.isUndefined { throw undefinedOperand() }
        if let x = number(a), let y = number(b) { return try numeric(op, x, y) }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .array(let x), .array(let y)): return .array(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard case .int(let n)? = number(a.isString ? b : a) else { break }
            try checkRepetition(max(0, n), of: s.utf8.count)
            return .string(String(repeating: s, count: max(0, n)))
        case ("*", .array(let items), _), ("*", _, .array(let items)):
            guard case .int(let n)? = number(a.sequenceItems != nil ? b : a) else { break }
            try checkRepetition(max(0, n), of: items.count)
            return .array(Array(repeatElement(items, count: max(0, n)).joined()))
        case ("%", .string, _):
            throw JinjaError.unsupported(line: 0, feature: "printf-style '%' string formatting")
        default:
            if op == "+", let x = a.sequenceItems, let y = b.sequenceItems, typeName(a) == "tuple", typeName(b) == "tuple" {
                return .tuple(x + y)
            }
        }
        if op == "+", case .string = a {
            throw JinjaError.type(line: 0, message: "can only concatenate str (not \"\(typeName(b))\") to str")
        }
        if op == "+", case .array = a {
            throw JinjaError.type(line: 0, message: "can only concatenate list (not \"\(typeName(b))\") to list")
        }
        throw JinjaError.type(line: 0, message: "unsupported operand type(s) for \(op): '\(typeName(a))' and '\(typeName(b))'")
    }

    private static func numeric(_ op: String, _ x: Number, _ y: Number) throws -> JinjaValue {
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case "+": let r = i.addingReportingOverflow(j); if r.overflow { throw overflow() }; return .int(r.partialValue)
            case "-": let r = i.subtractingReportingOverflow(j); if r.overflow { throw overflow() }; return .int(r.partialValue)
            case "*": let r = i.multipliedReportingOverflow(by: j); if r.overflow { throw overflow() }; return .int(r.partialValue)
            case "/":
                guard j != 0 else { throw JinjaError.type(line: 0, message: "division by zero") }
                return .double(Double(i) / Double(j))
            case "//":
                guard j != 0 else { throw JinjaError.type(line: 0, message: "integer division or modulo by zero") }
                let q = i / j
                return .int((i % j != 0 && (i < 0) != (j < 0)) ? q - 1 : q)
            case "%":
                guard j != 0 else { throw JinjaError.type(line: 0, message: "integer division or modulo by zero") }
                let r = i % j
                return .int((r != 0 && (r < 0) != (j < 0)) ? r + j : r)
            case "**":
                if j < 0 { return .double(pow(Double(i), Double(j))) }
                var result = 1, base = i, e = j
                while e > 0 {
                    if e & 1 == 1 {
                        let r = result.multipliedReportingOverflow(by: base); if r.overflow { throw overflow() }; result = r.partialValue
                    }
                    e >>= 1
                    if e > 0 { let r = base.multipliedReportingOverflow(by: base); if r.overflow { throw overflow() }; base = r.partialValue }
                }
                return .int(result)
            default: break
            }
        }
        let a = double(x), b = double(y)
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw JinjaError.type(line: 0, message: "float division by zero") }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw JinjaError.type(line: 0, message: "float floor division by zero") }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw JinjaError.type(line: 0, message: "float modulo") }
            let r = fmod(a, b)
            return .double((r != 0 && (r < 0) != (b < 0)) ? r + b : r)
        case "**": return .double(pow(a, b))
        default: throw JinjaError.unsupported(line: 0, feature: "operator \(op)")
        }
    }

    /// Python slice semantics (`[1:]`, `[::-1]`, `[:-1]`) on lists, tuples and strings.
    static func slice(_ v: JinjaValue, _ start: JinjaValue, _ stop: JinjaValue, _ step: JinjaValue) throws -> JinjaValue {
        func int(_ x: JinjaValue) throws -> Int? {
            switch x {
            case .none: return nil
            case .int(let i): return i
            case .bool(let b): return b ? 1 : 0
            default: throw JinjaError.type(line: 0, message: "slice indices must be integers or None")
            }
        }
        let st = try int(step) ?? 1
        guard st != 0 else { throw JinjaError.type(line: 0, message: "slice step cannot be zero") }
        func indices(_ n: Int) throws -> [Int] {
            let (lower, upper) = st > 0 ? (0, n) : (-1, n - 1)
            func clamp(_ x: Int?, _ dflt: Int) -> Int {
                guard let x else { return dflt }
                return x < 0 ? max(x + n, lower) : min(x, upper)
            }
            var i = clamp(try int(start), st > 0 ? lower : upper)
            let end = clamp(try int(stop), st > 0 ? upper : lower)
            var out: [Int] = []
            while st > 0 ? i < end : i > end { out.append(i); i += st }
            return out
        }
        switch v {
        case .string(let s):
            let u = scalars(s)
            return .string(string(try indices(u.count).map { u[$0] }))
        case .undefined: throw JinjaError.undefined(line: 0, message: "cannot slice an undefined value")
        default:
            guard let items = v.sequenceItems else { throw JinjaError.type(line: 0, message: "'\(typeName(v))' object is not subscriptable") }
            let picked = try indices(items.count).map { items[$0] }
            return typeName(v) == "tuple" ? .tuple(picked) : .array(picked)
        }
    }
}

extension JinjaValue {
    var isString: Bool { if case .string = self { return true }; return false }
}
