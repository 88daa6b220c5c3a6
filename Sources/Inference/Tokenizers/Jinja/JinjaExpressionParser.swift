import Foundation

/// Expressions, one function per jinja2 precedence level: conditional, or, and, not, comparisons
/// (with `in`), `+ -`, `~`, `* / // %`, `**`, unary minus, then postfix access, filters and tests.
extension JinjaParser {
    func isTupleEnd(_ extraEnd: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .eof: return true
        case .op(")"): return true
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }

    mutating func parseTuple(simplified: Bool = false, withCondexpr: Bool = true, explicitParentheses: Bool = false,
                                     extraEnd: Set<String> = []) throws -> JinjaExpr {
        var items: [JinjaExpr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(simplified ? try parsePrimary() : withCondexpr ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw fail("Expected an expression, got \(describe(current))") }
        }
        return .tuple(items)
    }

    mutating func parseExpression() throws -> JinjaExpr {
        try enterNested()
        defer { nesting -= 1 }
        var expr = try parseOr()
        while skipName("if") {
            let test = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            expr = .conditional(test: test, then: expr, otherwise: otherwise)
        }
        return expr
    }

    mutating func parseOr() throws -> JinjaExpr {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws -> JinjaExpr {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws -> JinjaExpr {
        try enterNested()
        defer { nesting -= 1 }
        if skipName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> JinjaExpr {
        let first = try parseMath1()
        var ops: [(String, JinjaExpr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                p += 1
                ops.append((o, try parseMath1()))
            } else if skipName("in") {
                ops.append(("in", try parseMath1()))
            } else if isName("not"), isName("in", peek()) {
                p += 2
                ops.append(("not in", try parseMath1()))
            } else { break }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }

    mutating func parseMath1() throws -> JinjaExpr {
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            p += 1
            left = .binary(o, left, try parseConcat())
        }
        return left
    }

    mutating func parseConcat() throws -> JinjaExpr {
        var args = [try parseMath2()]
        while skipOp("~") { args.append(try parseMath2()) }
        return args.count == 1 ? args[0] : .concat(args)
    }

    mutating func parseMath2() throws -> JinjaExpr {
        var left = try parsePow()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            p += 1
            left = .binary(o, left, try parsePow())
        }
        return left
    }

    mutating func parsePow() throws -> JinjaExpr {
        var left = try parseUnary()
        while skipOp("**") { left = .binary("**", left, try parseUnary()) }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws -> JinjaExpr {
        try enterNested()
        defer { nesting -= 1 }
        var node: JinjaExpr
        if skipOp("-") { node = .negate(try parseUnary(withFilter: false)) }
        else if skipOp("+") { node = .plus(try parseUnary(withFilter: false)) }
        else { node = try parsePrimary() }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    mutating func parsePrimary() throws -> JinjaExpr {
        let t = current
        switch t.kind {
        case .name(let n):
            p += 1
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            case "varargs", "kwargs", "caller":
                if inMacro { throw JinjaError.unsupported(line: t.line, feature: "'\(n)' inside a macro") }
                return .name(n)
            default: return .name(n)
            }
        case .string(var s):
            p += 1
            // Adjacent literals join, as in Python.
            while case .string(let more) = current.kind { s += more; p += 1 }
            return .literal(.string(s))
        case .int(let i): p += 1; return .literal(.int(i))
        case .float(let d): p += 1; return .literal(.double(d))
        case .op("("):
            p += 1
            let e = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return e
        case .op("["):
            p += 1
            var items: [JinjaExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            p += 1
            var items: [(JinjaExpr, JinjaExpr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            try expectOp("}")
            return .dict(items)
        default:
            throw fail("unexpected \(describe(t))")
        }
    }

    mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while true {
            if skipOp(".") {
                switch current.kind {
                case .name(let n): p += 1; node = .attribute(node, n)
                case .int(let i): p += 1; node = .item(node, .literal(.int(i)))
                default: throw fail("expected name or number after '.'")
                }
            } else if skipOp("[") {
                var subscripts: [JinjaExpr] = []
                while !isOp("]") {
                    if !subscripts.isEmpty { try expectOp(",") }
                    subscripts.append(try parseSubscribed(node))
                }
                try expectOp("]")
                guard subscripts.count == 1 else { throw JinjaError.unsupported(line: line, feature: "tuple subscripts") }
                node = subscripts[0]
            } else if isOp("(") {
                node = .call(node, try parseCallArguments())
            } else {
                return node
            }
        }
    }

    mutating func parseSubscribed(_ base: JinjaExpr) throws -> JinjaExpr {
        var start: JinjaExpr?
        if !isOp(":") {
            let e = try parseExpression()
            if !isOp(":") { return .item(base, e) }
            start = e
        }
        p += 1
        var stop: JinjaExpr?
        if !isOp(":"), !isOp("]"), !isOp(",") { stop = try parseExpression() }
        var step: JinjaExpr?
        if skipOp(":"), !isOp("]"), !isOp(",") { step = try parseExpression() }
        return .slice(base, start: start, stop: stop, step: step)
    }

    mutating func parseCallArguments() throws -> JinjaArguments {
        let callLine = line
        try expectOp("(")
        var args = JinjaArguments()
        var needComma = false
        while !isOp(")") {
            if needComma {
                try expectOp(",")
                if isOp(")") { break }
            }
            if isOp("*") || isOp("**") { throw JinjaError.unsupported(line: callLine, feature: "*args / **kwargs in calls") }
            if case .name(let key) = current.kind, isOp("=", peek()) {
                p += 2
                args.keyword.append((key, try parseExpression()))
            } else {
                guard args.keyword.isEmpty else { throw fail("invalid syntax for function call expression", line: callLine) }
                args.positional.append(try parseExpression())
            }
            needComma = true
        }
        try expectOp(")")
        return args
    }

    mutating func parseFilterExpr(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while true {
            if isOp("|") {
                for f in try parseFilterChain(startInline: false, single: true) { node = .filter(node, name: f.name, f.arguments) }
            } else if isName("is") {
                node = try parseTest(node)
            } else if isOp("(") {
                node = .call(node, try parseCallArguments())
            } else {
                return node
            }
        }
    }

    mutating func parseDottedName() throws -> String {
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        return name
    }

    mutating func parseFilterChain(startInline: Bool, single: Bool = false) throws -> [JinjaFilterCall] {
        var filters: [JinjaFilterCall] = []
        var inline = startInline
        while inline || isOp("|") {
            if !inline { p += 1 }
            inline = false
            let filterLine = line
            let name = try parseDottedName()
            guard JinjaParser.knownFilters.contains(name) else { throw fail("No filter named '\(name)'.", line: filterLine) }
            let args = isOp("(") ? try parseCallArguments() : JinjaArguments()
            filters.append(JinjaFilterCall(name: name, arguments: args, line: filterLine))
            if single { break }
        }
        return filters
    }

    mutating func parseTest(_ subject: JinjaExpr) throws -> JinjaExpr {
        p += 1
        let negated = skipName("not")
        let testLine = line
        let name = try parseDottedName()
        guard JinjaParser.knownTests.contains(name) else { throw fail("No test named '\(name)'.", line: testLine) }
        var args = JinjaArguments()
        if isOp("(") {
            args = try parseCallArguments()
        } else {
            var takesArgument = false
            switch current.kind {
            case .name(let n): takesArgument = !["else", "or", "and"].contains(n)
            case .string, .int, .float, .op("("), .op("["), .op("{"): takesArgument = true
            default: break
            }
            if takesArgument {
                if isName("is") { throw fail("You cannot chain multiple tests with is") }
                args.positional = [try parsePostfix(try parsePrimary())]
            }
        }
        return .test(subject, name: name, args, negated: negated)
    }
}
