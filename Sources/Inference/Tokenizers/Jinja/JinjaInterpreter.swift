import Foundation

/// Tree-walking evaluator; one instance per render, never shared.
final class JinjaInterpreter {
    var frames: [[String: JinjaRuntimeValue]]
    var out = ""
    var line = 1

    enum Flow { case normal, breakLoop, continueLoop }

    init(globals: [String: JinjaRuntimeValue]) { frames = [globals, [:]] }

    func lookup(_ name: String) -> JinjaRuntimeValue {
        for f in frames.reversed() { if let v = f[name] { return v } }
        return .undefined
    }

    func exec(_ nodes: [JinjaNode]) throws -> Flow {
        for n in nodes {
            let flow = try exec(n)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func exec(_ node: JinjaNode) throws -> Flow {
        switch node {
        case .text(let t): out += t
        case .output(let e, let l):
            line = l
            out += try eval(e).str
        case .group(let body): return try exec(body)
        case .ifChain(let branches, let elseBody, let l):
            for (cond, body) in branches {
                line = l
                if try eval(cond).truthy { return try exec(body) }
            }
            return try exec(elseBody)
        case .forLoop(let targets, let iterExpr, let filter, let body, let elseBody, let l):
            line = l
            return try runFor(targets: targets, iterable: try eval(iterExpr), filter: filter, body: body, elseBody: elseBody)
        case .set(let name, let attr, let value, let l):
            line = l
            let v = try eval(value)
            if let attr {
                guard case .namespace(let ns) = lookup(name) else {
                    throw JinjaError.type("cannot assign attribute on non-namespace object '\(name)'", line: l)
                }
                ns.attrs[attr] = v
            } else {
                frames[frames.count - 1][name] = v
            }
        case .setBlock(let name, let body, _):
            let saved = out
            out = ""
            _ = try exec(body)
            let captured = out
            out = saved
            frames[frames.count - 1][name] = .string(captured)
        case .macro(let name, let params, let body, _):
            frames[frames.count - 1][name] = .macro(JinjaMacro(name: name, params: params, body: body))
        case .loopBreak: return .breakLoop
        case .loopContinue: return .continueLoop
        }
        return .normal
    }

    func iterate(_ v: JinjaRuntimeValue) throws -> [JinjaRuntimeValue] {
        switch v {
        case .undefined: return []
        case .array(let a): return a
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        case .namespace(let n): return n.attrs.keys.map { .string($0) }
        default: throw JinjaError.type("'\(v.typeName)' object is not iterable", line: line)
        }
    }

    private func bind(_ targets: [String], _ item: JinjaRuntimeValue, into frame: inout [String: JinjaRuntimeValue]) throws {
        if targets.count == 1 { frame[targets[0]] = item; return }
        let parts = try iterate(item)
        guard parts.count == targets.count else {
            throw JinjaError.type("cannot unpack \(parts.count) values into \(targets.count) names", line: line)
        }
        for (t, p) in zip(targets, parts) { frame[t] = p }
    }

    private func runFor(targets: [String], iterable: JinjaRuntimeValue, filter: JinjaExpr?, body: [JinjaNode], elseBody: [JinjaNode]) throws -> Flow {
        var items = try iterate(iterable)
        frames.append([:])
        defer { frames.removeLast() }
        if let filter {
            items = try items.filter { item in
                try bind(targets, item, into: &frames[frames.count - 1])
                return try eval(filter).truthy
            }
        }
        if items.isEmpty {
            frames[frames.count - 1] = [:]
            _ = try exec(elseBody)
            return .normal
        }
        let n = items.count
        for (i, item) in items.enumerated() {
            // jinja2 gives each iteration fresh locals: a plain `set` does not reach the next one.
            frames[frames.count - 1] = [:]
            try bind(targets, item, into: &frames[frames.count - 1])
            frames[frames.count - 1]["loop"] = .dict(JinjaOrderedDict([
                ("index", .int(i + 1)), ("index0", .int(i)),
                ("revindex", .int(n - i)), ("revindex0", .int(n - i - 1)),
                ("first", .bool(i == 0)), ("last", .bool(i == n - 1)), ("length", .int(n)),
                ("previtem", i > 0 ? items[i - 1] : .undefined),
                ("nextitem", i + 1 < n ? items[i + 1] : .undefined),
                ("depth", .int(1)), ("depth0", .int(0)), ("cycle", .method(.int(i), "cycle")),
            ]))
            if try exec(body) == .breakLoop { break }
        }
        return .normal
    }

    // MARK: expressions

    func eval(_ e: JinjaExpr) throws -> JinjaRuntimeValue {
        switch e {
        case .literal(let v): return JinjaRuntimeValue(v)
        case .name(let n): return lookup(n)
        case .list(let items): return .array(try items.map(eval))
        case .dict(let pairs):
            var d = JinjaOrderedDict<JinjaRuntimeValue>()
            for (k, v) in pairs {
                let key = try eval(k)
                guard case .string(let ks) = key else {
                    throw JinjaError.unsupported("non-string dict key \(key.repr)", line: line)
                }
                d[ks] = try eval(v)
            }
            return .dict(d)
        case .attr(let base, let name): return try getAttr(try eval(base), name)
        case .subscript_(let base, let idx): return try getItem(try eval(base), try eval(idx))
        case .slice(let base, let a, let b, let c):
            return try slice(try eval(base), try a.map(eval), try b.map(eval), try c.map(eval))
        case .call(let callee, let args, let kwargs):
            let f = try eval(callee)
            let a = try args.map(eval)
            var k = JinjaOrderedDict<JinjaRuntimeValue>()
            for (n, x) in kwargs { k[n] = try eval(x) }
            return try call(f, a, k)
        case .filter(let base, let name, let args, let kwargs):
            let v = try eval(base)
            let a = try args.map(eval)
            var k = JinjaOrderedDict<JinjaRuntimeValue>()
            for (n, x) in kwargs { k[n] = try eval(x) }
            return try applyFilter(name, v, a, k)
        case .test(let base, let name, let args, let negated):
            let r = try applyTest(name, try eval(base), try args.map(eval))
            return .bool(negated ? !r : r)
        case .unary(let op, let x):
            let v = try eval(x)
            switch (op, v) {
            case ("-", .int(let i)): return .int(-i)
            case ("-", .double(let d)): return .double(-d)
            case ("+", .int), ("+", .double): return v
            default: throw JinjaError.type("bad operand type for unary \(op): '\(v.typeName)'", line: line)
            }
        case .not(let x): return .bool(!(try eval(x).truthy))
        case .and(let a, let b):
            let l = try eval(a)
            return l.truthy ? try eval(b) : l
        case .or(let a, let b):
            let l = try eval(a)
            return l.truthy ? l : try eval(b)
        case .conditional(let yes, let cond, let no):
            if try eval(cond).truthy { return try eval(yes) }
            return try no.map(eval) ?? .undefined
        case .binary(let op, let a, let b): return try binary(op, try eval(a), try eval(b))
        case .compare(let first, let rest):
            var left = try eval(first)
            for (op, rhsExpr) in rest {
                let right = try eval(rhsExpr)
                if !(try compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        }
    }

    func compare(_ op: String, _ a: JinjaRuntimeValue, _ b: JinjaRuntimeValue) throws -> Bool {
        switch op {
        case "==": return JinjaRuntimeValue.equal(a, b)
        case "!=": return !JinjaRuntimeValue.equal(a, b)
        case "in": return try contains(b, a)
        case "not in": return !(try contains(b, a))
        default:
            let r: Bool
            if let x = a.number, let y = b.number {
                r = op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y : x >= y
            } else if case .string(let x) = a, case .string(let y) = b {
                r = op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y : x >= y
            } else {
                throw JinjaError.type("'\(op)' not supported between '\(a.typeName)' and '\(b.typeName)'", line: line)
            }
            return r
        }
    }

    func contains(_ container: JinjaRuntimeValue, _ item: JinjaRuntimeValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else { throw JinjaError.type("'in <string>' requires string as left operand", line: line) }
            return sub.isEmpty || s.contains(sub)
        case .array(let a): return a.contains { JinjaRuntimeValue.equal($0, item) }
        case .dict(let d): if case .string(let k) = item { return d[k] != nil }; return false
        case .namespace(let n): if case .string(let k) = item { return n.attrs[k] != nil }; return false
        case .undefined: return false
        default: throw JinjaError.type("argument of type '\(container.typeName)' is not iterable", line: line)
        }
    }

    private func binary(_ op: String, _ a: JinjaRuntimeValue, _ b: JinjaRuntimeValue) throws -> JinjaRuntimeValue {
        if op == "~" { return .string(a.str + b.str) }
        if a.isUndefined || b.isUndefined {
            throw JinjaError.undefined("operand of '\(op)' is undefined", line: line)
        }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .array(let x), .array(let y)): return .array(x + y)
        case ("*", .string(let s), .int(let n)), ("*", .int(let n), .string(let s)):
            return .string(String(repeating: s, count: max(0, n)))
        case ("*", .array(let s), .int(let n)):
            return .array(Array([[JinjaRuntimeValue]](repeating: s, count: max(0, n)).joined()))
        case ("%", .string, _): throw JinjaError.unsupported("printf-style string formatting with '%'", line: line)
        default: break
        }
        if let x = a.intValue, let y = b.intValue, !(op == "/") {
            switch op {
            case "+": return .int(x + y)
            case "-": return .int(x - y)
            case "*": return .int(x * y)
            case "//", "%":
                guard y != 0 else { throw JinjaError.type("integer division or modulo by zero", line: line) }
                let q = Int((Double(x) / Double(y)).rounded(.down))
                return op == "//" ? .int(q) : .int(x - q * y)
            case "**":
                if y >= 0 { var r = 1; for _ in 0..<y { r *= x }; return .int(r) }
                return .double(pow(Double(x), Double(y)))
            default: break
            }
        }
        guard let x = a.number, let y = b.number else {
            throw JinjaError.type("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'", line: line)
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw JinjaError.type("division by zero", line: line) }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw JinjaError.type("float floor division by zero", line: line) }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw JinjaError.type("float modulo", line: line) }
            return .double(x - (x / y).rounded(.down) * y)
        case "**": return .double(pow(x, y))
        default: throw JinjaError.unsupported("operator \(op)", line: line)
        }
    }

    // MARK: access

    static let dictMethods: Set<String> = ["items", "keys", "values", "get"]
    static let stringMethods: Set<String> = ["strip", "lstrip", "rstrip", "split", "startswith", "endswith",
                                             "upper", "lower", "replace", "title", "capitalize", "count", "find", "join"]

    func getAttr(_ base: JinjaRuntimeValue, _ name: String) throws -> JinjaRuntimeValue {
        switch base {
        case .undefined: throw JinjaError.undefined("attribute '\(name)' of an undefined value", line: line)
        case .dict(let d):
            if Self.dictMethods.contains(name) { return .method(base, name) }
            return d[name] ?? .undefined
        case .namespace(let n): return n.attrs[name] ?? .undefined
        case .string:
            return Self.stringMethods.contains(name) ? .method(base, name) : .undefined
        default: return .undefined
        }
    }

    func getItem(_ base: JinjaRuntimeValue, _ idx: JinjaRuntimeValue) throws -> JinjaRuntimeValue {
        switch (base, idx) {
        case (.undefined, _): throw JinjaError.undefined("item \(idx.repr) of an undefined value", line: line)
        case (.dict(let d), .string(let k)):
            if let v = d[k] { return v }
            return Self.dictMethods.contains(k) ? .method(base, k) : .undefined
        case (.namespace(let n), .string(let k)): return n.attrs[k] ?? .undefined
        case (.array(let a), _):
            guard let i = idx.intValue else { return .undefined }
            let j = i < 0 ? a.count + i : i
            return a.indices.contains(j) ? a[j] : .undefined
        case (.string(let s), _):
            guard let i = idx.intValue else { return .undefined }
            let chars = Array(s)
            let j = i < 0 ? chars.count + i : i
            return chars.indices.contains(j) ? .string(String(chars[j])) : .undefined
        default: return .undefined
        }
    }

    /// Python slice semantics, including negative bounds and steps.
    private func slice(_ base: JinjaRuntimeValue, _ a: JinjaRuntimeValue?, _ b: JinjaRuntimeValue?, _ c: JinjaRuntimeValue?) throws -> JinjaRuntimeValue {
        func idx(_ v: JinjaRuntimeValue?) throws -> Int? {
            guard let v, !(v.isUndefined), !(isNone(v)) else { return nil }
            guard let i = v.intValue else { throw JinjaError.type("slice indices must be integers", line: line) }
            return i
        }
        let step = try idx(c) ?? 1
        guard step != 0 else { throw JinjaError.type("slice step cannot be zero", line: line) }
        func pick<T>(_ xs: [T]) throws -> [T] {
            let n = xs.count
            func norm(_ i: Int?, _ def: Int, lo: Int, hi: Int) -> Int {
                guard var i else { return def }
                if i < 0 { i += n }
                return min(max(i, lo), hi)
            }
            var r: [T] = []
            if step > 0 {
                var i = norm(try idx(a), 0, lo: 0, hi: n)
                let end = norm(try idx(b), n, lo: 0, hi: n)
                while i < end { r.append(xs[i]); i += step }
            } else {
                var i = norm(try idx(a), n - 1, lo: -1, hi: n - 1)
                let end = norm(try idx(b), -1, lo: -1, hi: n - 1)
                while i > end { r.append(xs[i]); i += step }
            }
            return r
        }
        switch base {
        case .array(let xs): return .array(try pick(xs))
        case .string(let s): return .string(String(try pick(Array(s))))
        case .undefined: throw JinjaError.undefined("slice of an undefined value", line: line)
        default: throw JinjaError.type("'\(base.typeName)' object is not subscriptable", line: line)
        }
    }

    private func isNone(_ v: JinjaRuntimeValue) -> Bool { if case .none = v { return true }; return false }

    // MARK: calls

    func call(_ f: JinjaRuntimeValue, _ args: [JinjaRuntimeValue], _ kwargs: JinjaOrderedDict<JinjaRuntimeValue>) throws -> JinjaRuntimeValue {
        switch f {
        case .function(let name): return try callGlobal(name, args, kwargs)
        case .method(let recv, let name): return try callMethod(recv, name, args, kwargs)
        case .macro(let m): return try callMacro(m, args, kwargs)
        case .undefined: throw JinjaError.undefined("call of an undefined value", line: line)
        default: throw JinjaError.type("'\(f.typeName)' object is not callable", line: line)
        }
    }

    private func callGlobal(_ name: String, _ args: [JinjaRuntimeValue], _ kwargs: JinjaOrderedDict<JinjaRuntimeValue>) throws -> JinjaRuntimeValue {
        switch name {
        case "raise_exception":
            throw JinjaError.raised(args.first?.str ?? "")
        case "strftime_now":
            return .string(Self.formatNow(args.first?.str ?? ""))
        case "namespace", "dict":
            var attrs = JinjaOrderedDict<JinjaRuntimeValue>()
            if case .dict(let d)? = args.first { for (k, v) in d.pairs { attrs[k] = v } }
            for (k, v) in kwargs.pairs { attrs[k] = v }
            if name == "dict" { return .dict(attrs) }
            let ns = JinjaNamespace(); ns.attrs = attrs
            return .namespace(ns)
        case "range":
            let ints = try args.map { v -> Int in
                guard let i = v.intValue else { throw JinjaError.type("range() needs integers", line: line) }
                return i
            }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count > 2 ? ints[2] : 1)
            guard step != 0, ints.count >= 1 else { throw JinjaError.type("range() arguments", line: line) }
            return .array(Swift.stride(from: start, to: stop, by: step).map { .int($0) })
        default: throw JinjaError.unsupported("function '\(name)'", line: line)
        }
    }

    static func formatNow(_ fmt: String) -> String {
        var t = time(nil)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [Int8](repeating: 0, count: 256)
        let n = strftime(&buf, buf.count, fmt, &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func callMacro(_ m: JinjaMacro, _ args: [JinjaRuntimeValue], _ kwargs: JinjaOrderedDict<JinjaRuntimeValue>) throws -> JinjaRuntimeValue {
        guard args.count <= m.params.count else {
            throw JinjaError.type("macro '\(m.name)' takes \(m.params.count) arguments, got \(args.count)", line: line)
        }
        for k in kwargs.keys where !m.params.contains(where: { $0.0 == k }) {
            throw JinjaError.unsupported("macro '\(m.name)' has no parameter '\(k)' (varargs/kwargs)", line: line)
        }
        // Macros see template-level names, not the caller's locals, as in jinja2.
        let savedFrames = frames, savedOut = out
        frames = [frames[0], frames[1], [:]]
        defer { frames = savedFrames; out = savedOut }
        for (i, (p, def)) in m.params.enumerated() {
            let v: JinjaRuntimeValue
            if i < args.count { v = args[i] } else if let k = kwargs[p] { v = k } else if let def { v = try eval(def) } else { v = .undefined }
            frames[2][p] = v
        }
        out = ""
        _ = try exec(m.body)
        return .string(out)
    }
}
