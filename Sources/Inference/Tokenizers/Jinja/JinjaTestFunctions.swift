import Foundation

/// jinja2's built-in tests (`is defined`, `is string`, `is divisibleby 3`, ...).
extension JinjaInterpreter {
    func applyTest(_ name: String, _ value: JinjaValue, _ args: [JinjaValue]) throws -> Bool {
        func argument() throws -> JinjaValue {
            guard args.count == 1 else { throw JinjaError.type(line: 0, message: "test '\(name)' takes one argument") }
            return args[0]
        }
        func noArguments() throws {
            guard args.isEmpty else { throw JinjaError.type(line: 0, message: "test '\(name)' takes no arguments") }
        }
        switch name {
        case "defined": try noArguments(); return !value.isUndefined
        case "undefined": try noArguments(); return value.isUndefined
        case "none": try noArguments(); return value == .none
        case "boolean": try noArguments(); if case .bool = value { return true }; return false
        case "true": try noArguments(); return value == .bool(true)
        case "false": try noArguments(); return value == .bool(false)
        case "integer": try noArguments(); if case .int = value { return true }; return false
        case "float": try noArguments(); if case .double = value { return true }; return false
        case "number": try noArguments(); return JinjaOps.number(value) != nil
        case "string": try noArguments(); return value.isString
        case "mapping": try noArguments(); if case .dict = value { return true }; return false
        case "iterable", "sequence":
            try noArguments()
            switch value {
            case .string, .dict, .array, .undefined: return true
            default: return value.sequenceItems != nil
            }
        case "callable":
            try noArguments()
            if case .object(let o) = value {
                switch o.kind {
                case .macro, .function, .method: return true
                default: return false
                }
            }
            return false
        case "odd", "even":
            try noArguments()
            guard JinjaOps.number(value) != nil else {
                if value.isUndefined { throw JinjaError.undefined(line: 0, message: "'\(name)' test on an undefined value") }
                throw JinjaError.type(line: 0, message: "unsupported operand type(s) for %: '\(JinjaOps.typeName(value))' and 'int'")
            }
            let r = try JinjaOps.arithmetic("%", value, .int(2))
            return JinjaOps.equals(r, .int(name == "odd" ? 1 : 0))
        case "divisibleby":
            return JinjaOps.equals(try JinjaOps.arithmetic("%", value, try argument()), .int(0))
        case "eq", "equalto", "==": return JinjaOps.equals(value, try argument())
        case "ne", "!=": return !JinjaOps.equals(value, try argument())
        case "lt", "lessthan", "<": return try JinjaOps.compare("<", value, try argument())
        case "le", "<=": return try JinjaOps.compare("<=", value, try argument())
        case "gt", "greaterthan", ">": return try JinjaOps.compare(">", value, try argument())
        case "ge", ">=": return try JinjaOps.compare(">=", value, try argument())
        case "in": return try JinjaOps.contains(try argument(), value)
        case "lower", "upper":
            try noArguments()
            guard case .string(let s) = value else { return false }
            return JinjaStrings.classify(s, name == "lower" ? "islower" : "isupper")
        case "escaped": try noArguments(); return false
        case "filter", "test":
            guard case .string(let n) = try argument() else { return false }
            return name == "filter" ? JinjaParser.knownFilters.contains(n) : JinjaParser.knownTests.contains(n)
        case "sameas":
            let other = try argument()
            switch (value, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.none, _), (_, .none), (.bool, _), (_, .bool): return false
            default: throw JinjaError.unsupported(line: 0, feature: "'sameas' (object identity) on values other than None and booleans")
            }
        default:
            throw JinjaError.unsupported(line: 0, feature: "the '\(name)' test")
        }
    }
}
