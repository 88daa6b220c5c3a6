import Foundation

/// Variables visible at one point of a render. jinja2 gives each loop iteration, macro call,
/// `with` and filter block a fresh scope; `if` bodies and block `set` share their parent's.
final class JinjaScope {
    var vars: [String: JinjaValue]
    let parent: JinjaScope?

    init(parent: JinjaScope?, vars: [String: JinjaValue] = [:]) {
        self.parent = parent
        self.vars = vars
    }

    func lookup(_ name: String) -> JinjaValue? {
        var s: JinjaScope? = self
        while let scope = s {
            if let v = scope.vars[name] { return v }
            s = scope.parent
        }
        return nil
    }
}

struct JinjaMacro {
    let definition: JinjaMacroDefinition
    let closure: JinjaScope
}

/// One render of a parsed template. Holds the mutable state a render creates (namespaces and
/// macros), so the template itself stays an immutable, sendable value.
final class JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    var namespaces: [JinjaDict] = []
    var macros: [JinjaMacro] = []
    let now: () -> Date
    lazy var printer: JinjaPrinter = {
        var p = JinjaPrinter()
        p.describeObject = { [unowned self] o in try self.describe(o) }
        return p
    }()

    init(now: @escaping () -> Date) { self.now = now }

    /// Expressions being evaluated, one inside another (macro calls included). Long operator chains
    /// (`1+1+...`) and recursive macros overflowed the stack (FuzzChatTemplate); jinja2 stops such
    /// templates with Python's RecursionError, this interpreter with a security error.
    private var evalDepth = 0
    static let maxEvalDepth = 256

    func render(_ body: [JinjaStatement], context: [String: JinjaValue]) throws -> String {
        let globals = JinjaScope(parent: nil, vars: [
            "range": .object(JinjaObject(.function(.range))),
            "namespace": .object(JinjaObject(.function(.namespace))),
            "dict": .object(JinjaObject(.function(.dict))),
            "raise_exception": .object(JinjaObject(.function(.raiseException))),
            "strftime_now": .object(JinjaObject(.function(.strftimeNow))),
            "joiner": .object(JinjaObject(.function(.joiner))),
            "cycler": .object(JinjaObject(.function(.cycler))),
            "lipsum": .object(JinjaObject(.function(.lipsum))),
        ])
        let root = JinjaScope(parent: globals, vars: context)
        var out = ""
        _ = try execute(body, in: root, into: &out)
        return out
    }

    private func describe(_ o: JinjaObject) throws -> String {
        switch o.kind {
        case .namespace(let id): return "<Namespace " + (try printer.repr(.dict(namespaces[id]))) + ">"
        case .macro(_, let name): return "<Macro \(JinjaPrinter.stringRepr(name))>"
        case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.items.count)>"
        default: throw JinjaError.unsupported(line: 0, feature: "printing a function object")
        }
    }

    // MARK: - Statements

    func execute(_ body: [JinjaStatement], in scope: JinjaScope, into out: inout String) throws -> Flow {
        for statement in body {
            let flow = try execute(statement, in: scope, into: &out)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func line(of s: JinjaStatement) -> Int {
        switch s {
        case .text: return 0
        case .output(_, let l), .conditional(_, _, let l), .forLoop(_, let l), .set(_, _, let l), .setBlock(_, _, _, let l),
             .filterBlock(_, _, let l), .with(_, _, let l), .breakLoop(let l), .continueLoop(let l): return l
        case .macro(let m): return m.line
        }
    }

    private func execute(_ statement: JinjaStatement, in scope: JinjaScope, into out: inout String) throws -> Flow {
        do {
            switch statement {
            case .text(let s):
                out += s
            case .output(let e, _):
                out += try printer.str(try eval(e, scope))
            case .conditional(let branches, let otherwise, _):
                for (test, body) in branches where JinjaOps.truthy(try eval(test, scope)) {
                    return try execute(body, in: scope, into: &out)
                }
                return try execute(otherwise, in: scope, into: &out)
            case .forLoop(let loop, _):
                try runLoop(loop, in: scope, into: &out)
            case .set(let target, let e, _):
                try assign(target, try eval(e, scope), in: scope)
            case .setBlock(let target, let filters, let body, _):
                var text = ""
                _ = try execute(body, in: scope, into: &text)
                try assign(target, try applyFilters(filters, to: .string(text), scope), in: scope)
            case .macro(let m):
                macros.append(JinjaMacro(definition: m, closure: scope))
                scope.vars[m.name] = .object(JinjaObject(.macro(macros.count - 1, name: m.name)))
            case .filterBlock(let filters, let body, _):
                var text = ""
                _ = try execute(body, in: JinjaScope(parent: scope), into: &text)
                out += try printer.str(try applyFilters(filters, to: .string(text), scope))
            case .with(let assignments, let body, _):
                let inner = JinjaScope(parent: scope)
                for (target, e) in assignments { try assign(target, try eval(e, scope), in: inner) }
                return try execute(body, in: inner, into: &out)
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        } catch let e as JinjaError {
            throw e.at(line: line(of: statement))
        }
        return .normal
    }

    private func applyFilters(_ filters: [JinjaFilterCall], to value: JinjaValue, _ scope: JinjaScope) throws -> JinjaValue {
        var v = value
        for f in filters {
            let (args, kwargs) = try evalArguments(f.arguments, scope)
            v = try applyFilter(f.name, v, args, kwargs)
        }
        return v
    }

    private func runLoop(_ loop: JinjaForLoop, in scope: JinjaScope, into out: inout String) throws {
        var items = try JinjaOps.iterate(try eval(loop.iterable, scope))
        if let condition = loop.condition {
            items = try items.filter { item in
                let probe = JinjaScope(parent: scope)
                try assign(loop.target, item, in: probe)
                return JinjaOps.truthy(try eval(condition, probe))
            }
        }
        if items.isEmpty {
            _ = try execute(loop.otherwise, in: JinjaScope(parent: scope), into: &out)
            return
        }
        // Only recursive loops (not supported) go deeper; nested loops each start at depth 1.
        let depth0 = 0
        for index in items.indices {
            let iteration = JinjaScope(parent: scope)
            try assign(loop.target, items[index], in: iteration)
            iteration.vars["loop"] = .object(JinjaObject(.loop(JinjaLoopState(items: items, index0: index, depth0: depth0))))
            if try execute(loop.body, in: iteration, into: &out) == .breakLoop { break }
        }
    }

    func assign(_ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope) throws {
        switch target {
        case .name(let n):
            scope.vars[n] = value
        case .tuple(let targets):
            let items = try JinjaOps.iterate(value)
            guard items.count == targets.count else {
                throw JinjaError.type(line: 0, message: items.count > targets.count
                    ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, in: scope) }
        case .namespaceAttribute(let ns, let attr):
            guard case .object(let o)? = scope.lookup(ns), case .namespace(let id) = o.kind else {
                throw JinjaError.type(line: 0, message: "cannot assign attribute on non-namespace object")
            }
            namespaces[id][attr] = value
        }
    }

    // MARK: - Expressions

    func eval(_ e: JinjaExpr, _ scope: JinjaScope) throws -> JinjaValue {
        evalDepth += 1
        defer { evalDepth -= 1 }
        guard evalDepth <= Self.maxEvalDepth else {
            throw JinjaError.security(line: 0, message: "the template evaluates expressions or macro calls over \(Self.maxEvalDepth) levels deep")
        }
        switch e {
        case .literal(let v): return v
        case .name(let n): return scope.lookup(n) ?? .undefined
        case .list(let items): return .array(try items.map { try eval($0, scope) })
        case .tuple(let items): return .tuple(try items.map { try eval($0, scope) })
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                guard case .string(let key) = try eval(k, scope) else {
                    throw JinjaError.unsupported(line: 0, feature: "dictionary keys that are not strings")
                }
                d[key] = try eval(v, scope)
            }
            return .dict(d)
        case .attribute(let base, let name): return try getattr(try eval(base, scope), name)
        case .item(let base, let key): return try getitem(try eval(base, scope), try eval(key, scope))
        case .slice(let base, let start, let stop, let step):
            return try JinjaOps.slice(try eval(base, scope), try start.map { try eval($0, scope) } ?? .none,
                                      try stop.map { try eval($0, scope) } ?? .none, try step.map { try eval($0, scope) } ?? .none)
        case .call(let callee, let arguments):
            let f = try eval(callee, scope)
            let (args, kwargs) = try evalArguments(arguments, scope)
            return try call(f, args, kwargs)
        case .filter(let subject, let name, let arguments):
            let v = try eval(subject, scope)
            let (args, kwargs) = try evalArguments(arguments, scope)
            return try applyFilter(name, v, args, kwargs)
        case .test(let subject, let name, let arguments, let negated):
            let v = try eval(subject, scope)
            let (args, kwargs) = try evalArguments(arguments, scope)
            guard kwargs.isEmpty else { throw JinjaError.unsupported(line: 0, feature: "keyword arguments to tests") }
            return .bool(try applyTest(name, v, args) != negated)
        case .not(let x): return .bool(!JinjaOps.truthy(try eval(x, scope)))
        case .negate(let x):
            switch try eval(x, scope) {
            case .int(let i): return .int(-i)
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            case .undefined: throw JinjaError.undefined(line: 0, message: "cannot negate an undefined value")
            case let v: throw JinjaError.type(line: 0, message: "bad operand type for unary -: '\(JinjaOps.typeName(v))'")
            }
        case .plus(let x):
            let v = try eval(x, scope)
            guard JinjaOps.number(v) != nil else { throw JinjaError.type(line: 0, message: "bad operand type for unary +: '\(JinjaOps.typeName(v))'") }
            if case .bool(let b) = v { return .int(b ? 1 : 0) }
            return v
        case .binary(let op, let a, let b): return try JinjaOps.arithmetic(op, try eval(a, scope), try eval(b, scope))
        case .and(let a, let b):
            let l = try eval(a, scope)
            return JinjaOps.truthy(l) ? try eval(b, scope) : l
        case .or(let a, let b):
            let l = try eval(a, scope)
            return JinjaOps.truthy(l) ? l : try eval(b, scope)
        case .concat(let parts): return .string(try parts.map { try printer.str(try eval($0, scope)) }.joined())
        case .compare(let first, let ops):
            var left = try eval(first, scope)
            for (op, rhs) in ops {
                let right = try eval(rhs, scope)
                if !(try JinjaOps.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise):
            if JinjaOps.truthy(try eval(test, scope)) { return try eval(then, scope) }
            return try otherwise.map { try eval($0, scope) } ?? .undefined
        }
    }

    func evalArguments(_ a: JinjaArguments, _ scope: JinjaScope) throws -> ([JinjaValue], [(String, JinjaValue)]) {
        (try a.positional.map { try eval($0, scope) }, try a.keyword.map { ($0.0, try eval($0.1, scope)) })
    }

    // MARK: - Attribute and item access (jinja2's sandboxed getattr / getitem)

    /// `x.name`: a Python attribute (a method) wins over a dict key of the same name.
    func getattr(_ v: JinjaValue, _ name: String) throws -> JinjaValue {
        if v.isUndefined { throw JinjaError.undefined(line: 0, message: "cannot read attribute '\(name)' of an undefined value") }
        if let method = JinjaMethods.lookup(v, name) { return method }
        switch v {
        case .dict(let d): return d[name] ?? .undefined
        case .object(let o):
            switch o.kind {
            case .namespace(let id): return namespaces[id][name] ?? .undefined
            case .loop(let l): return try loopAttribute(l, name, v)
            default: return .undefined
            }
        default: return .undefined
        }
    }

    /// `x[key]`: the key wins over a method of the same name.
    func getitem(_ v: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        switch (v, key) {
        case (.undefined, _):
            throw JinjaError.undefined(line: 0, message: "cannot read item \((try? printer.repr(key)) ?? "?") of an undefined value")
        case (.dict(let d), .string(let k)):
            if let found = d[k] { return found }
            return JinjaMethods.lookup(v, k) ?? .undefined
        case (.string(let s), _):
            if case .string(let k) = key { return JinjaMethods.lookup(v, k) ?? .undefined }
            guard let i = index(key) else { return .undefined }
            let u = JinjaOps.scalars(s)
            let j = i < 0 ? i + u.count : i
            return (0..<u.count).contains(j) ? .string(String(u[j])) : .undefined
        default:
            if let items = v.sequenceItems, let i = index(key) {
                let j = i < 0 ? i + items.count : i
                return items.indices.contains(j) ? items[j] : .undefined
            }
            if case .string(let k) = key, case .object = v { return try getattr(v, k) }
            if case .string(let k) = key { return JinjaMethods.lookup(v, k) ?? .undefined }
            return .undefined
        }
    }

    private func index(_ key: JinjaValue) -> Int? {
        switch key {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    private func loopAttribute(_ l: JinjaLoopState, _ name: String, _ loop: JinjaValue) throws -> JinjaValue {
        let n = l.items.count
        switch name {
        case "index": return .int(l.index0 + 1)
        case "index0": return .int(l.index0)
        case "revindex": return .int(n - l.index0)
        case "revindex0": return .int(n - l.index0 - 1)
        case "first": return .bool(l.index0 == 0)
        case "last": return .bool(l.index0 == n - 1)
        case "length": return .int(n)
        case "depth": return .int(l.depth0 + 1)
        case "depth0": return .int(l.depth0)
        case "previtem": return l.index0 > 0 ? l.items[l.index0 - 1] : .undefined
        case "nextitem": return l.index0 + 1 < n ? l.items[l.index0 + 1] : .undefined
        case "cycle": return .object(JinjaObject(.method(loop, "cycle")))
        case "changed": throw JinjaError.unsupported(line: 0, feature: "loop.changed")
        default: return .undefined
        }
    }

    // MARK: - Calls

    func call(_ f: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        guard case .object(let o) = f else {
            if f.isUndefined { throw JinjaError.undefined(line: 0, message: "called an undefined value as a function") }
            throw JinjaError.type(line: 0, message: "'\(JinjaOps.typeName(f))' object is not callable")
        }
        switch o.kind {
        case .macro(let id, _): return try callMacro(macros[id], args, kwargs)
        case .function(let builtin): return try callBuiltin(builtin, args, kwargs)
        case .method(let receiver, let name):
            if case .object(let r) = receiver, case .loop(let l) = r.kind, name == "cycle" {
                guard !args.isEmpty else { throw JinjaError.type(line: 0, message: "no items for cycling given") }
                return args[l.index0 % args.count]
            }
            return try JinjaMethods.call(receiver, name, args, kwargs, printer: printer)
        default:
            throw JinjaError.type(line: 0, message: "'\(JinjaOps.typeName(f))' object is not callable")
        }
    }

    private func callMacro(_ macro: JinjaMacro, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        let def = macro.definition
        guard args.count <= def.parameters.count else {
            throw JinjaError.type(line: 0, message: "macro '\(def.name)' takes not more than \(def.parameters.count) argument(s)")
        }
        let scope = JinjaScope(parent: macro.closure)
        for (k, _) in kwargs where !def.parameters.contains(where: { $0.0 == k }) {
            throw JinjaError.type(line: 0, message: "macro '\(def.name)' takes no keyword argument '\(k)'")
        }
        for (i, (name, dflt)) in def.parameters.enumerated() {
            if i < args.count {
                scope.vars[name] = args[i]
            } else if let kw = kwargs.last(where: { $0.0 == name }) {
                scope.vars[name] = kw.1
            } else if let dflt {
                scope.vars[name] = try eval(dflt, scope)
            } else {
                scope.vars[name] = .undefined
            }
        }
        var out = ""
        do { _ = try execute(def.body, in: scope, into: &out) } catch let e as JinjaError { throw e.at(line: def.line) }
        return .string(out)
    }

    private func callBuiltin(_ f: JinjaBuiltin, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        switch f {
        case .raiseException:
            throw JinjaError.raised(message: try args.first.map { try printer.str($0) } ?? "")
        case .strftimeNow:
            guard case .string(let format)? = args.first else {
                throw JinjaError.type(line: 0, message: "strftime_now() needs a format string")
            }
            return .string(try JinjaStrftime.format(now(), format))
        case .range:
            guard kwargs.isEmpty else { throw JinjaError.type(line: 0, message: "range() takes no keyword arguments") }
            let ints = try args.map { a -> Int in
                guard case .int(let i)? = JinjaOps.number(a) else {
                    throw JinjaError.type(line: 0, message: "'\(JinjaOps.typeName(a))' object cannot be interpreted as an integer")
                }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw JinjaError.type(line: 0, message: "range expected 1 to 3 arguments, got \(ints.count)")
            }
            guard step != 0 else { throw JinjaError.type(line: 0, message: "range() arg 3 must not be zero") }
            let values = Array(stride(from: start, to: stop, by: step))
            // The sandbox's limit, so a template cannot exhaust memory.
            guard values.count <= 100_000 else {
                throw JinjaError.security(line: 0, message: "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
            }
            return .array(values.map { .int($0) })
        case .namespace, .dict:
            var d = JinjaDict()
            if let first = args.first {
                guard args.count == 1, case .dict(let initial) = first else {
                    throw JinjaError.unsupported(line: 0, feature: "\(f.rawValue)() with positional arguments other than one dict")
                }
                d = initial
            }
            for (k, v) in kwargs { d[k] = v }
            if f == .dict { return .dict(d) }
            namespaces.append(d)
            return .object(JinjaObject(.namespace(namespaces.count - 1)))
        case .joiner, .cycler, .lipsum:
            throw JinjaError.unsupported(line: 0, feature: "the \(f.rawValue)() global")
        }
    }
}
