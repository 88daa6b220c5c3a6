/// Recursive-descent parser following jinja2's grammar and operator precedence.
struct JinjaParser {
    private let segs: [JinjaSegment]
    private var si = 0
    // JinjaToken cursor within the current tag.
    private var toks: [JinjaToken] = []
    private var ti = 0
    private var line = 1

    init(_ segs: [JinjaSegment]) { self.segs = segs }

    static func parse(_ source: String) throws -> [JinjaNode] {
        var p = JinjaParser(try JinjaLexer.lex(source))
        let (nodes, end) = try p.parseBody(until: [])
        if let end { throw JinjaError.syntax("unexpected '\(end)'", line: p.line) }
        return nodes
    }

    /// Parses nodes until a block tag whose keyword is in `until`; leaves its tokens loaded.
    private mutating func parseBody(until: Set<String>) throws -> ([JinjaNode], String?) {
        var nodes: [JinjaNode] = []
        while si < segs.count {
            let seg = segs[si]; si += 1
            line = seg.line
            switch seg.kind {
            case .text(let t): if !t.isEmpty { nodes.append(.text(t)) }
            case .comment: break
            case .output(let ts):
                toks = ts; ti = 0
                let e = try parseExpr()
                try expectEnd()
                nodes.append(.output(e, line: seg.line))
            case .block(let ts):
                toks = ts; ti = 0
                guard case .name(let kw)? = next() else { throw JinjaError.syntax("expected a tag name", line: line) }
                if until.contains(kw) { return (nodes, kw) }
                nodes.append(try parseStatement(kw))
            }
        }
        if !until.isEmpty { throw JinjaError.syntax("missing end tag, expected one of \(until.sorted())", line: line) }
        return (nodes, nil)
    }

    private mutating func parseStatement(_ kw: String) throws -> JinjaNode {
        let l = line
        switch kw {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var cond = try parseExpr(); try expectEnd()
            while true {
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((cond, body))
                if end == "elif" { cond = try parseExpr(); try expectEnd(); continue }
                if end == "else" {
                    try expectEnd()
                    let (eb, _) = try parseBody(until: ["endif"]); try expectEnd()
                    return .ifChain(branches, else_: eb, line: l)
                }
                try expectEnd()
                return .ifChain(branches, else_: [], line: l)
            }
        case "for":
            var targets = [try name()]
            while acceptOp(",") { targets.append(try name()) }
            guard acceptName("in") else { throw JinjaError.syntax("expected 'in' in for loop", line: l) }
            let iter = try parseOr(allowCond: false)
            var filter: JinjaExpr?
            if acceptName("if") { filter = try parseOr(allowCond: false) }
            if acceptName("recursive") { throw JinjaError.unsupported("recursive for loops", line: l) }
            try expectEnd()
            let (body, end) = try parseBody(until: ["else", "endfor"])
            var elseBody: [JinjaNode] = []
            try expectEnd()
            if end == "else" { (elseBody, _) = try parseBody(until: ["endfor"]); try expectEnd() }
            return .forLoop(targets: targets, iter: iter, filter: filter, body: body, else_: elseBody, line: l)
        case "set":
            let target = try name()
            var attr: String?
            if acceptOp(".") { attr = try name() }
            if acceptOp(",") { throw JinjaError.unsupported("tuple assignment in set", line: l) }
            if acceptOp("=") {
                let v = try parseExpr(); try expectEnd()
                return .set(name: target, attr: attr, value: v, line: l)
            }
            if attr != nil { throw JinjaError.unsupported("block set of an attribute", line: l) }
            if peekOp("|") { throw JinjaError.unsupported("filtered block set", line: l) }
            try expectEnd()
            let (body, _) = try parseBody(until: ["endset"]); try expectEnd()
            return .setBlock(name: target, body: body, line: l)
        case "macro":
            let n = try name()
            var params: [(String, JinjaExpr?)] = []
            try expectOp("(")
            if !acceptOp(")") {
                repeat {
                    let p = try name()
                    params.append((p, acceptOp("=") ? try parseExpr() : nil))
                } while acceptOp(",")
                try expectOp(")")
            }
            try expectEnd()
            let (body, _) = try parseBody(until: ["endmacro"]); try expectEnd()
            return .macro(name: n, params: params, body: body, line: l)
        case "break": try expectEnd(); return .loopBreak
        case "continue": try expectEnd(); return .loopContinue
        case "generation":
            // transformers' AssistantTracker tag: renders its body unchanged.
            try expectEnd()
            let (body, _) = try parseBody(until: ["endgeneration"]); try expectEnd()
            return .group(body)
        default:
            throw JinjaError.unsupported("tag '\(kw)'", line: l)
        }
    }

    // MARK: token helpers

    private func peek(_ o: Int = 0) -> JinjaToken? { ti + o < toks.count ? toks[ti + o] : nil }
    private mutating func next() -> JinjaToken? { defer { ti += 1 }; return peek() }
    private func peekOp(_ s: String) -> Bool { peek() == .op(s) }
    private func peekName(_ s: String) -> Bool { peek() == .name(s) }
    private mutating func acceptOp(_ s: String) -> Bool { if peekOp(s) { ti += 1; return true }; return false }
    private mutating func acceptName(_ s: String) -> Bool { if peekName(s) { ti += 1; return true }; return false }
    private mutating func expectOp(_ s: String) throws {
        guard acceptOp(s) else { throw JinjaError.syntax("expected '\(s)', found \(describe(peek()))", line: line) }
    }
    private mutating func expectEnd() throws {
        if ti < toks.count { throw JinjaError.syntax("unexpected \(describe(peek())) at end of tag", line: line) }
    }
    private mutating func name() throws -> String {
        guard case .name(let n)? = next() else { throw JinjaError.syntax("expected a name, found \(describe(peek(-1)))", line: line) }
        return n
    }
    private func describe(_ t: JinjaToken?) -> String {
        switch t {
        case nil: return "end of tag"
        case .name(let n)?: return "'\(n)'"
        case .op(let o)?: return "'\(o)'"
        case .string(let s)?: return "string '\(s)'"
        case .int(let i)?: return "\(i)"
        case .double(let d)?: return "\(d)"
        }
    }

    // MARK: expressions

    mutating func parseExpr() throws -> JinjaExpr { try parseOr(allowCond: true) }

    private mutating func parseOr(allowCond: Bool) throws -> JinjaExpr {
        var e = try parseAnd()
        while acceptName("or") { e = .or(e, try parseAnd()) }
        if allowCond, acceptName("if") {
            let c = try parseOr(allowCond: false)
            let other: JinjaExpr? = acceptName("else") ? try parseOr(allowCond: true) : nil
            return .conditional(e, c, other)
        }
        return e
    }
    private mutating func parseAnd() throws -> JinjaExpr {
        var e = try parseNot()
        while acceptName("and") { e = .and(e, try parseNot()) }
        return e
    }
    private mutating func parseNot() throws -> JinjaExpr {
        if acceptName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }
    private mutating func parseCompare() throws -> JinjaExpr {
        let first = try parseMath1()
        var ops: [(String, JinjaExpr)] = []
        while true {
            if case .op(let o)? = peek(), ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                ti += 1; ops.append((o, try parseMath1()))
            } else if acceptName("in") {
                ops.append(("in", try parseMath1()))
            } else if peekName("not"), peek(1) == .name("in") {
                ti += 2; ops.append(("not in", try parseMath1()))
            } else { break }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }
    private mutating func parseMath1() throws -> JinjaExpr {
        var e = try parseConcat()
        while case .op(let o)? = peek(), o == "+" || o == "-" { ti += 1; e = .binary(o, e, try parseConcat()) }
        return e
    }
    private mutating func parseConcat() throws -> JinjaExpr {
        var e = try parseMath2()
        while acceptOp("~") { e = .binary("~", e, try parseMath2()) }
        return e
    }
    private mutating func parseMath2() throws -> JinjaExpr {
        var e = try parsePow()
        while case .op(let o)? = peek(), ["*", "/", "//", "%"].contains(o) { ti += 1; e = .binary(o, e, try parsePow()) }
        return e
    }
    private mutating func parsePow() throws -> JinjaExpr {
        var e = try parseUnary(withFilter: true)
        while acceptOp("**") { e = .binary("**", e, try parseUnary(withFilter: true)) }
        return e
    }
    private mutating func parseUnary(withFilter: Bool) throws -> JinjaExpr {
        var e: JinjaExpr
        if acceptOp("-") { e = .unary("-", try parseUnary(withFilter: false)) }
        else if acceptOp("+") { e = .unary("+", try parseUnary(withFilter: false)) }
        else { e = try parsePrimary() }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpr(e) }
        return e
    }
    private mutating func parsePrimary() throws -> JinjaExpr {
        guard let t = next() else { throw JinjaError.syntax("unexpected end of expression", line: line) }
        switch t {
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            while case .string(let more)? = peek() { s += more; ti += 1 }
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .op("("):
            if acceptOp(")") { return .list([]) }
            let e = try parseExpr()
            if acceptOp(",") {
                var items = [e]
                while !peekOp(")") { items.append(try parseExpr()); if !acceptOp(",") { break } }
                try expectOp(")")
                return .list(items)
            }
            try expectOp(")")
            return e
        case .op("["):
            var items: [JinjaExpr] = []
            while !peekOp("]") { items.append(try parseExpr()); if !acceptOp(",") { break } }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !peekOp("}") {
                let k = try parseExpr(); try expectOp(":")
                pairs.append((k, try parseExpr()))
                if !acceptOp(",") { break }
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            throw JinjaError.syntax("unexpected \(describe(t))", line: line)
        }
    }
    private mutating func parsePostfix(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        while true {
            if acceptOp(".") {
                switch next() {
                case .name(let n)?: e = .attr(e, n)
                case .int(let i)?: e = .subscript_(e, .literal(.int(i)))
                default: throw JinjaError.syntax("expected attribute name after '.'", line: line)
                }
            } else if acceptOp("[") {
                e = try parseSubscript(e)
            } else if peekOp("(") {
                e = try parseCall(e)
            } else { return e }
        }
    }
    private mutating func parseSubscript(_ base: JinjaExpr) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = []
        var cur: JinjaExpr? = nil
        var isSlice = false
        while !peekOp("]") {
            if acceptOp(":") { isSlice = true; parts.append(cur); cur = nil; continue }
            cur = try parseExpr()
        }
        try expectOp("]")
        if !isSlice {
            guard let idx = cur else { throw JinjaError.syntax("empty subscript", line: line) }
            return .subscript_(base, idx)
        }
        parts.append(cur)
        if parts.count > 3 { throw JinjaError.syntax("too many ':' in slice", line: line) }
        while parts.count < 3 { parts.append(nil) }
        return .slice(base, parts[0], parts[1], parts[2])
    }
    private mutating func parseArgs() throws -> ([JinjaExpr], [(String, JinjaExpr)]) {
        try expectOp("(")
        var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
        while !peekOp(")") {
            if case .name(let n)? = peek(), peek(1) == .op("=") {
                ti += 2; kwargs.append((n, try parseExpr()))
            } else {
                if peekOp("*") || peekOp("**") { throw JinjaError.unsupported("*args/**kwargs in calls", line: line) }
                args.append(try parseExpr())
            }
            if !acceptOp(",") { break }
        }
        try expectOp(")")
        return (args, kwargs)
    }
    private mutating func parseCall(_ callee: JinjaExpr) throws -> JinjaExpr {
        let (a, k) = try parseArgs()
        return .call(callee, a, k)
    }
    private mutating func parseFilterExpr(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        while true {
            if acceptOp("|") {
                let n = try name()
                var a: [JinjaExpr] = [], k: [(String, JinjaExpr)] = []
                if peekOp("(") { (a, k) = try parseArgs() }
                e = .filter(e, n, a, k)
            } else if acceptName("is") {
                let negated = acceptName("not")
                var n = try name()
                while acceptOp(".") { n += "." + (try name()) }
                var a: [JinjaExpr] = []
                if peekOp("(") { (a, _) = try parseArgs() }
                else if let t = peek(), startsTestArg(t) { a = [try parsePostfix(try parsePrimary())] }
                e = .test(e, n, a, negated: negated)
            } else if peekOp("(") {
                e = try parseCall(e)
            } else { return e }
        }
    }
    private func startsTestArg(_ t: JinjaToken) -> Bool {
        switch t {
        case .string, .int, .double: return true
        case .op(let o): return o == "[" || o == "{"
        case .name(let n): return !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        }
    }
}
