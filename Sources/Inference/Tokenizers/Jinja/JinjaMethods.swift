import Foundation

/// Python methods of `str`, `dict` and `list` that templates call (`content.strip()`,
/// `message.get('x')`, `d.items()`). A method name shadows a dict key for `d.name`, exactly as
/// Python attribute lookup does in jinja2, so every Python method name is known here even where
/// calling it is not implemented.
enum JinjaMethods {
    static let strMethods: Set<String> = [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
        "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]
    static let dictMethods: Set<String> = ["clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"]
    static let listMethods: Set<String> = ["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"]
    /// What ImmutableSandboxedEnvironment refuses to call.
    static let mutating: Set<String> = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort", "popitem", "setdefault", "update"]

    static func lookup(_ v: JinjaValue, _ name: String) -> JinjaValue? {
        let known: Bool
        switch v {
        case .string: known = strMethods.contains(name)
        case .dict: known = dictMethods.contains(name)
        case .array: known = listMethods.contains(name)
        case .object(let o):
            if case .tuple = o.kind { known = name == "count" || name == "index" } else { known = false }
        default: known = false
        }
        return known ? .object(JinjaObject(.method(v, name))) : nil
    }

    /// Binds call arguments to parameter names, Python style.
    static func bind(_ function: String, _ params: [String], _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> [JinjaValue?] {
        guard args.count <= params.count else {
            throw JinjaError.type(line: 0, message: "\(function)() takes at most \(params.count) arguments (\(args.count) given)")
        }
        var bound: [JinjaValue?] = args.map { $0 } + Array(repeating: nil, count: params.count - args.count)
        for (k, v) in kwargs {
            guard let i = params.firstIndex(of: k) else {
                throw JinjaError.type(line: 0, message: "\(function)() got an unexpected keyword argument '\(k)'")
            }
            bound[i] = v
        }
        return bound
    }

    static func call(_ receiver: JinjaValue, _ name: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)],
                     printer: JinjaPrinter) throws -> JinjaValue {
        if mutating.contains(name), !receiver.isString {
            throw JinjaError.security(line: 0, message: "access to attribute '\(name)' of '\(JinjaOps.typeName(receiver))' object is unsafe.")
        }
        switch receiver {
        case .string(let s): return try callString(s, name, args, kwargs, printer: printer)
        case .dict(let d):
            switch name {
            case "get":
                let b = try bind(name, ["key", "default"], args, kwargs)
                guard case .string(let k)? = b[0] else { return b[1] ?? .none }
                return d[k] ?? b[1] ?? .none
            case "items": _ = try bind(name, [], args, kwargs); return .array(d.pairs.map { .tuple([.string($0.key), $0.value]) })
            case "keys": _ = try bind(name, [], args, kwargs); return .array(d.keys.map { .string($0) })
            case "values": _ = try bind(name, [], args, kwargs); return .array(d.values)
            case "copy": _ = try bind(name, [], args, kwargs); return receiver
            default: break
            }
        default:
            if let items = receiver.sequenceItems {
                switch name {
                case "count":
                    let b = try bind(name, ["value"], args, kwargs)
                    return .int(items.filter { JinjaOps.equals($0, b[0] ?? .none) }.count)
                case "index":
                    let b = try bind(name, ["value"], args, kwargs)
                    guard let i = items.firstIndex(where: { JinjaOps.equals($0, b[0] ?? .none) }) else {
                        throw JinjaError.type(line: 0, message: "value is not in list")
                    }
                    return .int(i)
                case "copy": return receiver
                default: break
                }
            }
        }
        throw JinjaError.unsupported(line: 0, feature: "the \(JinjaOps.typeName(receiver)).\(name)() method")
    }

    private static func optionalString(_ v: JinjaValue?, _ function: String) throws -> String? {
        switch v {
        case nil, .none?: return nil
        case .string(let s)?: return s
        case let other?: throw JinjaError.type(line: 0, message: "\(function) arg must be None or str, not \(JinjaOps.typeName(other))")
        }
    }

    private static func optionalInt(_ v: JinjaValue?) throws -> Int? {
        switch v {
        case nil, .none?: return nil
        case let x?:
            guard case .int(let i)? = JinjaOps.number(x) else {
                throw JinjaError.type(line: 0, message: "'\(JinjaOps.typeName(x))' object cannot be interpreted as an integer")
            }
            return i
        }
    }

    private static func callString(_ s: String, _ name: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)],
                                   printer: JinjaPrinter) throws -> JinjaValue {
        let u = JinjaOps.scalars(s)
        switch name {
        case "strip", "lstrip", "rstrip":
            let chars = try optionalString(try bind(name, ["chars"], args, kwargs)[0], name)
            return .string(JinjaStrings.strip(s, chars: chars, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let b = try bind(name, ["sep", "maxsplit"], args, kwargs)
            let parts = try JinjaStrings.split(s, separator: try optionalString(b[0], name), maxSplit: try optionalInt(b[1]) ?? -1,
                                               fromRight: name == "rsplit")
            return .array(parts.map { .string($0) })
        case "startswith", "endswith":
            let b = try bind(name, ["prefix", "start", "end"], args, kwargs)
            guard b[1] == nil, b[2] == nil else { throw JinjaError.unsupported(line: 0, feature: "\(name)() with start/end") }
            let options: [JinjaValue]
            switch b[0] {
            case .string?: options = [b[0]!]
            case let t? where t.sequenceItems != nil: options = t.sequenceItems!
            default: throw JinjaError.type(line: 0, message: "\(name) first arg must be str or a tuple of str")
            }
            return .bool(try options.contains { o in
                guard case .string(let p) = o else { throw JinjaError.type(line: 0, message: "\(name) first arg must be str or a tuple of str") }
                let pu = JinjaOps.scalars(p)
                return name == "startswith" ? u.starts(with: pu) : u.reversed().starts(with: pu.reversed())
            })
        case "upper": _ = try bind(name, [], args, kwargs); return .string(s.uppercased())
        case "lower": _ = try bind(name, [], args, kwargs); return .string(s.lowercased())
        case "title": _ = try bind(name, [], args, kwargs); return .string(JinjaStrings.pythonTitle(s))
        case "capitalize": _ = try bind(name, [], args, kwargs); return .string(JinjaStrings.capitalize(s))
        case "replace":
            let b = try bind(name, ["old", "new", "count"], args, kwargs)
            guard case .string(let old)? = b[0], case .string(let new)? = b[1] else {
                throw JinjaError.type(line: 0, message: "replace() arguments must be str")
            }
            return .string(JinjaStrings.replace(s, old, new, count: try optionalInt(b[2]) ?? -1))
        case "find", "rfind", "count":
            let b = try bind(name, ["sub"], args, kwargs)
            guard case .string(let sub)? = b[0] else { throw JinjaError.type(line: 0, message: "must be str") }
            let su = JinjaOps.scalars(sub)
            var positions: [Int] = []
            var at = 0
            while let i = JinjaOps.find(u, su, from: at) { positions.append(i); at = i + max(su.count, 1) }
            if name == "count" { return .int(positions.count) }
            return .int((name == "find" ? positions.first : positions.last) ?? -1)
        case "join":
            let b = try bind(name, ["iterable"], args, kwargs)
            let items = try JinjaOps.iterate(b[0] ?? .undefined)
            return .string(try items.map { item -> String in
                guard case .string(let x) = item else {
                    throw JinjaError.type(line: 0, message: "sequence item: expected str instance, \(JinjaOps.typeName(item)) found")
                }
                return x
            }.joined(separator: s))
        case "splitlines":
            _ = try bind(name, [], args, kwargs)
            return .array(JinjaStrings.splitLines(s).map { .string($0) })
        case "removeprefix", "removesuffix":
            guard case .string(let a)? = try bind(name, ["affix"], args, kwargs)[0] else { throw JinjaError.type(line: 0, message: "must be str") }
            let au = JinjaOps.scalars(a)
            if name == "removeprefix", u.starts(with: au) { return .string(JinjaOps.string(u.dropFirst(au.count))) }
            if name == "removesuffix", !au.isEmpty, u.reversed().starts(with: au.reversed()) { return .string(JinjaOps.string(u.dropLast(au.count))) }
            return .string(s)
        case "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper":
            _ = try bind(name, [], args, kwargs)
            return .bool(JinjaStrings.classify(s, name))
        default:
            throw JinjaError.unsupported(line: 0, feature: "the str.\(name)() method")
        }
    }
}

/// Python string algorithms over code points.
enum JinjaStrings {
    static func strip(_ s: String, chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let u = JinjaOps.scalars(s)
        let set = chars.map { Set($0.unicodeScalars) }
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? JinjaLexer.isSpace(c) }
        var a = 0, b = u.count
        if leading { while a < b, drop(u[a]) { a += 1 } }
        if trailing { while b > a, drop(u[b - 1]) { b -= 1 } }
        return JinjaOps.string(u[a..<b])
    }

    static func split(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool) throws -> [String] {
        if fromRight {
            guard maxSplit < 0 else { throw JinjaError.unsupported(line: 0, feature: "rsplit() with maxsplit") }
        }
        let u = JinjaOps.scalars(s)
        var parts: [String] = []
        if let separator {
            let sep = JinjaOps.scalars(separator)
            guard !sep.isEmpty else { throw JinjaError.type(line: 0, message: "empty separator") }
            var start = 0
            while maxSplit < 0 || parts.count < maxSplit, let i = JinjaOps.find(u, sep, from: start) {
                parts.append(JinjaOps.string(u[start..<i]))
                start = i + sep.count
            }
            parts.append(JinjaOps.string(u[start...]))
            return parts
        }
        var i = 0
        while true {
            while i < u.count, JinjaLexer.isSpace(u[i]) { i += 1 }
            if i == u.count { break }
            if maxSplit >= 0, parts.count == maxSplit {
                var end = u.count
                while end > i, JinjaLexer.isSpace(u[end - 1]) { end -= 1 }
                parts.append(JinjaOps.string(u[i..<end]))
                break
            }
            let start = i
            while i < u.count, !JinjaLexer.isSpace(u[i]) { i += 1 }
            parts.append(JinjaOps.string(u[start..<i]))
        }
        return parts
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        let u = JinjaOps.scalars(s), o = JinjaOps.scalars(old), n = JinjaOps.scalars(new)
        var out: [Unicode.Scalar] = []
        var i = 0, done = 0
        if o.isEmpty {
            // Python inserts `new` between every character and at both ends.
            for c in u {
                if count < 0 || done < count { out += n; done += 1 }
                out.append(c)
            }
            if count < 0 || done < count { out += n }
            return JinjaOps.string(out)
        }
        while count < 0 || done < count, let j = JinjaOps.find(u, o, from: i) {
            out += u[i..<j]
            out += n
            i = j + o.count
            done += 1
        }
        out += u[i...]
        return JinjaOps.string(out)
    }

    /// Python's `str.title`: a letter is upper-cased when the character before it is not cased.
    static func pythonTitle(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            out += previousCased ? String(c).lowercased() : String(c).uppercased()
            previousCased = c.properties.isCased
        }
        return out
    }

    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + JinjaOps.string(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python's `str.splitlines` separators.
    static func isLineBreak(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func splitLines(_ s: String) -> [String] {
        let u = JinjaOps.scalars(s)
        var lines: [String] = []
        var start = 0, i = 0
        while i < u.count {
            if isLineBreak(u[i]) {
                lines.append(JinjaOps.string(u[start..<i]))
                if u[i] == "\r", i + 1 < u.count, u[i + 1] == "\n" { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < u.count { lines.append(JinjaOps.string(u[start...])) }
        return lines
    }

    static func classify(_ s: String, _ test: String) -> Bool {
        let u = JinjaOps.scalars(s)
        switch test {
        case "isdigit": return !u.isEmpty && u.allSatisfy { $0.properties.numericType != nil && $0.properties.numericType != .numeric }
        case "isalpha": return !u.isEmpty && u.allSatisfy { $0.properties.isAlphabetic }
        case "isalnum": return !u.isEmpty && u.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        case "isspace": return !u.isEmpty && u.allSatisfy(JinjaLexer.isSpace)
        case "islower", "isupper":
            let cased = u.filter { $0.properties.isCased }
            guard !cased.isEmpty else { return false }
            return test == "islower" ? cased.allSatisfy { !$0.properties.isUppercase && !$0.properties.changesWhenLowercased }
                                     : cased.allSatisfy { !$0.properties.isLowercase && !$0.properties.changesWhenUppercased }
        default: return false
        }
    }
}
