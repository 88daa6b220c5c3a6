import Foundation

/// Builds the statement tree, following jinja2's parser rule for rule so that precedence
/// (`a ~ b + c`, `x | f + y`, `not x is defined`) and scoping come out the same.
struct JinjaParser {
    let tokens: [JinjaToken]
    var p = 0
    var loopDepth = 0
    var inMacro = false
    /// Open blocks, parenthesised expressions and unary operators around the current token.
    var nesting = 0
    /// Deeper templates are refused rather than parsed (and later evaluated) by unbounded recursion,
    /// which overflowed the stack (FuzzChatTemplate); real chat templates nest a few levels.
    static let maxNesting = 200

    static func parse(_ source: String) throws -> [JinjaStatement] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (body, _) = try parser.parseBody(until: [])
        return body
    }

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    // MARK: - Token stream

    var current: JinjaToken { tokens[p] }
    var line: Int { current.line }
    func peek(_ n: Int = 1) -> JinjaToken { tokens[min(p + n, tokens.count - 1)] }
    mutating func next() -> JinjaToken { let t = tokens[p]; if p < tokens.count - 1 { p += 1 }; return t }

    func isOp(_ op: String, _ t: JinjaToken? = nil) -> Bool {
        if case .op(let o) = (t ?? current).kind { return o == op }
        return false
    }
    func isName(_ name: String, _ t: JinjaToken? = nil) -> Bool {
        if case .name(let n) = (t ?? current).kind { return n == name }
        return false
    }
    mutating func skipOp(_ op: String) -> Bool { if isOp(op) { p += 1; return true }; return false }
    mutating func skipName(_ name: String) -> Bool { if isName(name) { p += 1; return true }; return false }

    func fail(_ message: String, line: Int? = nil) -> JinjaError { .syntax(line: line ?? self.line, message: message) }

    /// Counts one level of recursion; the caller undoes it with `defer { nesting -= 1 }`.
    mutating func enterNested() throws {
        nesting += 1
        guard nesting <= Self.maxNesting else {
            throw JinjaError.security(line: line, message: "the template nests blocks or expressions over \(Self.maxNesting) levels deep")
        }
    }

    func describe(_ t: JinjaToken) -> String {
        switch t.kind {
        case .text: return "template data"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .int(let i): return "integer \(i)"
        case .float(let d): return "float \(d)"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw fail("expected token '\(op)', got \(describe(current))") }
    }
    mutating func expectName(_ what: String = "name") throws -> String {
        guard case .name(let n) = current.kind else { throw fail("expected \(what), got \(describe(current))") }
        p += 1
        return n
    }
    mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw fail("expected token 'end of statement block', got \(describe(current))") }
        p += 1
    }

    // MARK: - Statements

    /// Statements until one of `ends` opens a block tag; returns that tag name with the stream
    /// positioned right after it (the caller parses the rest of that tag).
    mutating func parseBody(until ends: Set<String>) throws -> ([JinjaStatement], String?) {
        try enterNested()
        defer { nesting -= 1 }
        var body: [JinjaStatement] = []
        while true {
            let t = next()
            switch t.kind {
            case .text(let s): body.append(.text(s))
            case .variableBegin:
                let e = try parseTuple()
                guard current.kind == .variableEnd else { throw fail("expected token 'end of print statement', got \(describe(current))") }
                p += 1
                body.append(.output(e, line: t.line))
            case .blockBegin:
                if case .name(let n) = current.kind, ends.contains(n) { p += 1; return (body, n) }
                body.append(contentsOf: try parseStatement())
                try expectBlockEnd()
            case .eof:
                if !ends.isEmpty {
                    let names = ends.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw fail("Unexpected end of template. Jinja was looking for the following tags: \(names).", line: t.line)
                }
                return (body, nil)
            default:
                throw fail("unexpected \(describe(t))", line: t.line)
            }
        }
    }

    /// The block of a statement: its header's `%}`, the body, and the end tag name.
    mutating func parseBlock(until ends: Set<String>) throws -> ([JinjaStatement], String) {
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ends)
        return (body, end!)
    }

    mutating func parseStatement() throws -> [JinjaStatement] {
        let start = current.line
        guard case .name(let tag) = current.kind else { throw fail("tag name expected") }
        p += 1
        switch tag {
        case "for": return [try parseFor(line: start)]
        case "if": return [try parseIf(line: start)]
        case "set": return [try parseSet(line: start)]
        case "macro": return [try parseMacro(line: start)]
        case "filter":
            let filters = try parseFilterChain(startInline: true)
            let (body, _) = try parseBlock(until: ["endfilter"])
            return [.filterBlock(filters, body: body, line: start)]
        case "with":
            var assignments: [(JinjaTarget, JinjaExpr)] = []
            while current.kind != .blockEnd {
                if !assignments.isEmpty { try expectOp(",") }
                let target = try parseTarget(extraEnd: [])
                try expectOp("=")
                assignments.append((target, try parseExpression()))
            }
            let (body, _) = try parseBlock(until: ["endwith"])
            return [.with(assignments, body: body, line: start)]
        case "generation":
            // transformers' AssistantTracker tag: renders its body unchanged (in a scope of its own,
            // as the call block it compiles to has).
            let (body, _) = try parseBlock(until: ["endgeneration"])
            return [.with([], body: body, line: start)]
        case "break", "continue":
            guard loopDepth > 0 else { throw fail("'\(tag)' outside loop", line: start) }
            return [tag == "break" ? .breakLoop(line: start) : .continueLoop(line: start)]
        case "call", "block", "extends", "include", "import", "from", "autoescape":
            throw JinjaError.unsupported(line: start, feature: "the '\(tag)' tag")
        default:
            throw fail("Encountered unknown tag '\(tag)'.", line: start)
        }
    }

    mutating func parseFor(line: Int) throws -> JinjaStatement {
        let target = try parseTarget(extraEnd: ["in"])
        guard skipName("in") else { throw fail("expected 'in', got \(describe(current))") }
        let iterable = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
        var condition: JinjaExpr?
        if skipName("if") { condition = try parseExpression() }
        if isName("recursive") { throw JinjaError.unsupported(line: line, feature: "recursive for loops") }
        loopDepth += 1
        let (body, end) = try parseBlock(until: ["endfor", "else"])
        loopDepth -= 1
        var otherwise: [JinjaStatement] = []
        if end == "else" { (otherwise, _) = try parseBlock(until: ["endfor"]) }
        return .forLoop(JinjaForLoop(target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise), line: line)
    }

    mutating func parseIf(line: Int) throws -> JinjaStatement {
        var branches: [(JinjaExpr, [JinjaStatement])] = []
        var otherwise: [JinjaStatement] = []
        while true {
            let test = try parseTuple(withCondexpr: false)
            let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
            branches.append((test, body))
            if end == "elif" { continue }
            if end == "else" { (otherwise, _) = try parseBlock(until: ["endif"]) }
            break
        }
        return .conditional(branches, otherwise: otherwise, line: line)
    }

    mutating func parseSet(line: Int) throws -> JinjaStatement {
        let target: JinjaTarget
        if case .name(let ns) = current.kind, isOp(".", peek()) {
            p += 2
            target = .namespaceAttribute(ns, try expectName("attribute name"))
        } else {
            target = try parseTarget(extraEnd: [])
        }
        if skipOp("=") { return .set(target, try parseTuple(), line: line) }
        let filters = isOp("|") ? try parseFilterChain(startInline: false) : []
        let (body, _) = try parseBlock(until: ["endset"])
        return .setBlock(target, filters: filters, body: body, line: line)
    }

    mutating func parseMacro(line: Int) throws -> JinjaStatement {
        let name = try expectName("macro name")
        try expectOp("(")
        var parameters: [(String, JinjaExpr?)] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            let param = try expectName("parameter name")
            if skipOp("=") { parameters.append((param, try parseExpression())) }
            else if parameters.contains(where: { $0.1 != nil }) { throw fail("non-default argument follows default argument") }
            else { parameters.append((param, nil)) }
        }
        try expectOp(")")
        let (savedLoop, savedMacro) = (loopDepth, inMacro)
        (loopDepth, inMacro) = (0, true)
        let (body, _) = try parseBlock(until: ["endmacro"])
        (loopDepth, inMacro) = (savedLoop, savedMacro)
        return .macro(JinjaMacroDefinition(name: name, parameters: parameters, body: body, line: line))
    }

    /// `name`, `a, b` or `(a, b)`: what `for` and `set` can assign to.
    mutating func parseTarget(extraEnd: Set<String>) throws -> JinjaTarget {
        var items: [JinjaTarget] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) || isOp("=") { break }
            if skipOp("(") {
                let inner = try parseTarget(extraEnd: [])
                try expectOp(")")
                items.append(inner)
            } else {
                let n = try expectName("assignment target")
                if ["true", "false", "none", "True", "False", "None"].contains(n) { throw fail("can't assign to const") }
                items.append(.name(n))
            }
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple, items.count == 1 { return items[0] }
        guard !items.isEmpty else { throw fail("expected an assignment target") }
        return .tuple(items)
    }

    /// jinja2's built-in filter and test names: others fail at parse time as they do in jinja2;
    /// these parse, and the few not implemented fail when rendered.
    static let knownFilters: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
        "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
        "wordwrap", "xmlattr",
    ]
    static let knownTests: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "filter",
        "float", "ge", "gt", "greaterthan", "in", "integer", "iterable", "le", "lower", "lessthan", "lt", "mapping",
        "ne", "none", "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper",
        "==", "!=", "<", "<=", ">", ">=",
    ]
}
