import Foundation

/// Filters, tests and built-in methods, following jinja2 3.1 and Python's str/dict.
extension JinjaInterpreter {
    private func arg(_ args: [JinjaRuntimeValue], _ kwargs: JinjaOrderedDict<JinjaRuntimeValue>, _ i: Int, _ name: String) -> JinjaRuntimeValue? {
        if i < args.count { return args[i] }
        return kwargs[name]
    }

    private func string(_ v: JinjaRuntimeValue, _ what: String) throws -> String {
        if case .string(let s) = v { return s }
        throw JinjaError.type("\(what) expects a string, got '\(v.typeName)'", line: line)
    }

    func applyFilter(_ name: String, _ v: JinjaRuntimeValue, _ args: [JinjaRuntimeValue], _ kw: JinjaOrderedDict<JinjaRuntimeValue>) throws -> JinjaRuntimeValue {
        switch name {
        case "safe": return v
        case "string": return .string(v.str)
        case "trim":
            let chars = arg(args, kw, 0, "chars").flatMap { if case .string(let c) = $0 { return c }; return nil }
            return .string(Self.strip(v.str, chars, left: true, right: true))
        case "upper": return .string(v.str.uppercased())
        case "lower": return .string(v.str.lowercased())
        case "capitalize": return .string(Self.capitalize(v.str))
        case "title": return .string(Self.jinjaTitle(v.str))
        case "replace":
            let old = arg(args, kw, 0, "old")?.str ?? "", new = arg(args, kw, 1, "new")?.str ?? ""
            return .string(Self.replace(v.str, old, new, count: arg(args, kw, 2, "count")?.intValue))
        case "length", "count":
            switch v {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a): return .int(a.count)
            case .dict(let d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw JinjaError.type("object of type '\(v.typeName)' has no len()", line: line)
            }
        case "wordcount": return .int(v.str.split(whereSeparator: { $0.isWhitespace }).count)
        case "tojson":
            var indent: String?
            if let i = arg(args, kw, 0, "indent") {
                if let n = i.intValue { indent = String(repeating: " ", count: n) }
                else if case .string(let s) = i { indent = s }
            }
            var seps: (String, String)?
            if let sp = kw["separators"], case .array(let pair) = sp, pair.count == 2 { seps = (pair[0].str, pair[1].str) }
            return .string(try JinjaJSONWriter.dumps(v, indent: indent, separators: seps, line: line))
        case "items":
            switch v {
            case .dict(let d): return .array(d.pairs.map { .array([.string($0.0), $0.1]) })
            case .undefined: return .array([])
            default: throw JinjaError.type("items filter expects a mapping, got '\(v.typeName)'", line: line)
            }
        case "list": return .array(try iterate(v))
        case "join":
            let sep = arg(args, kw, 0, "d")?.str ?? ""
            var items = try iterate(v)
            if let attr = kw["attribute"] { items = try items.map { try getAttr($0, attr.str) } }
            return .string(items.map(\.str).joined(separator: sep))
        case "default", "d":
            let def = arg(args, kw, 0, "default_value") ?? .string("")
            let boolean = arg(args, kw, 1, "boolean")?.truthy ?? false
            return (v.isUndefined || (boolean && !v.truthy)) ? def : v
        case "first":
            if case .string(let s) = v { return s.first.map { .string(String($0)) } ?? .undefined }
            return try iterate(v).first ?? .undefined
        case "last":
            if case .string(let s) = v { return s.last.map { .string(String($0)) } ?? .undefined }
            return try iterate(v).last ?? .undefined
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .array(try iterate(v).reversed())
        case "int":
            let def = arg(args, kw, 0, "default") ?? .int(0)
            switch v {
            case .int, .bool: return .int(v.intValue!)
            case .double(let d): return d.isFinite ? .int(Int(d)) : def
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite { return .int(Int(d)) }
                return def
            default: return def
            }
        case "float":
            let def = arg(args, kw, 0, "default") ?? .double(0)
            if let n = v.number { return .double(n) }
            if case .string(let s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return def
        case "abs":
            switch v {
            case .int(let i): return .int(Swift.abs(i))
            case .double(let d): return .double(Swift.abs(d))
            default: throw JinjaError.type("bad operand type for abs(): '\(v.typeName)'", line: line)
            }
        case "round":
            guard let x = v.number else { throw JinjaError.type("round expects a number", line: line) }
            let p = arg(args, kw, 0, "precision")?.intValue ?? 0
            let method = arg(args, kw, 1, "method")?.str ?? "common"
            let scale = pow(10.0, Double(p))
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
            return .double((x * scale).rounded(rule) / scale)
        case "map":
            let items = try iterate(v)
            if let attr = kw["attribute"] {
                let def = kw["default"]
                return .array(try items.map { let r = try getAttr($0, attr.str); return r.isUndefined ? (def ?? r) : r })
            }
            guard let f = args.first else { throw JinjaError.unsupported("map without a filter or attribute", line: line) }
            let rest = Array(args.dropFirst())
            return .array(try items.map { try applyFilter(f.str, $0, rest, JinjaOrderedDict()) })
        case "select", "reject":
            let items = try iterate(v)
            let want = name == "select"
            guard let t = args.first else { return .array(items.filter { $0.truthy == want }) }
            let rest = Array(args.dropFirst())
            return .array(try items.filter { try applyTest(t.str, $0, rest) == want })
        case "selectattr", "rejectattr":
            let items = try iterate(v)
            let want = name == "selectattr"
            guard let a = args.first else { throw JinjaError.type("\(name) needs an attribute name", line: line) }
            let rest = Array(args.dropFirst(2))
            return .array(try items.filter { item in
                let x = try getAttr(item, a.str)
                let r = args.count > 1 ? try applyTest(args[1].str, x, rest) : x.truthy
                return r == want
            })
        case "dictsort":
            guard case .dict(let d) = v else { throw JinjaError.type("dictsort expects a mapping, got '\(v.typeName)'", line: line) }
            let caseSensitive = arg(args, kw, 0, "case_sensitive")?.truthy ?? false
            let byValue = arg(args, kw, 1, "by")?.str == "value"
            let reverse = arg(args, kw, 2, "reverse")?.truthy ?? false
            let pairs: [JinjaRuntimeValue] = d.pairs.map { .array([.string($0.0), $0.1]) }
            return try applyFilter("sort", .array(pairs), [.bool(reverse), .bool(caseSensitive), .int(byValue ? 1 : 0)], JinjaOrderedDict())
        case "unique":
            var seen: [JinjaRuntimeValue] = []
            for x in try iterate(v) where !seen.contains(where: { JinjaRuntimeValue.equal($0, x) }) { seen.append(x) }
            return .array(seen)
        case "sort":
            let reverse = arg(args, kw, 0, "reverse")?.truthy ?? false
            let caseSensitive = arg(args, kw, 1, "case_sensitive")?.truthy ?? false
            let attr = arg(args, kw, 2, "attribute")
            func key(_ x: JinjaRuntimeValue) throws -> JinjaRuntimeValue {
                var k = x
                if let attr { k = attr.intValue != nil ? try getItem(x, attr) : try getAttr(x, attr.str) }
                if !caseSensitive, case .string(let s) = k { k = .string(s.lowercased()) }
                return k
            }
            let keyed = try iterate(v).map { (try key($0), $0) }
            var failure: Error?
            let sorted = keyed.enumerated().sorted { l, r in
                do {
                    if try compare("<", l.element.0, r.element.0) { return !reverse }
                    if try compare("<", r.element.0, l.element.0) { return reverse }
                } catch { failure = error }
                return l.offset < r.offset // stable, like Python's sort
            }
            if let failure { throw failure }
            return .array(sorted.map { $0.element.1 })
        case "indent":
            var ind = "    "
            if let w = arg(args, kw, 0, "width") {
                if let n = w.intValue { ind = String(repeating: " ", count: n) } else { ind = w.str }
            }
            let first = arg(args, kw, 1, "first")?.truthy ?? false
            let blank = arg(args, kw, 2, "blank")?.truthy ?? false
            // jinja2 appends "\n" before splitlines(), so a trailing newline is dropped.
            var lines = (v.str + "\n").components(separatedBy: "\n")
            lines.removeLast()
            var rv = lines.removeFirst()
            if !lines.isEmpty {
                rv += "\n" + lines.map { (blank || !$0.isEmpty) ? ind + $0 : $0 }.joined(separator: "\n")
            }
            return .string(first ? ind + rv : rv)
        case "sum":
            var total: JinjaRuntimeValue = arg(args, kw, 1, "start") ?? .int(0)
            for x in try iterate(v) {
                let item = try kw["attribute"].map { try getAttr(x, $0.str) } ?? x
                if let a = total.intValue, let b = item.intValue { total = .int(a + b) }
                else if let a = total.number, let b = item.number { total = .double(a + b) }
                else { throw JinjaError.type("sum of non-numbers", line: line) }
            }
            return total
        case "min", "max":
            let items = try iterate(v)
            guard var best = items.first else { return .undefined }
            for x in items.dropFirst() where try compare(name == "min" ? "<" : ">", x, best) { best = x }
            return best
        default:
            throw JinjaError.unsupported("filter '\(name)'", line: line)
        }
    }

    func applyTest(_ name: String, _ v: JinjaRuntimeValue, _ args: [JinjaRuntimeValue]) throws -> Bool {
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true }; return false
        case "string": if case .string = v { return true }; return false
        case "mapping": switch v { case .dict, .namespace: return true; default: return false }
        case "iterable", "sequence":
            switch v { case .array, .dict, .string: return true; default: return false }
        case "number": switch v { case .int, .double, .bool: return true; default: return false }
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "callable": switch v { case .macro, .function, .method: return true; default: return false }
        case "odd", "even":
            guard let i = v.intValue else { throw JinjaError.type("\(name) test needs an integer", line: line) }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = v.intValue, let d = args.first?.intValue, d != 0 else { throw JinjaError.type("divisibleby needs integers", line: line) }
            return i % d == 0
        case "lower": return v.str == v.str.lowercased()
        case "upper": return v.str == v.str.uppercased()
        case "equalto", "eq", "==", "sameas": return JinjaRuntimeValue.equal(v, args.first ?? .undefined)
        case "ne", "!=": return !JinjaRuntimeValue.equal(v, args.first ?? .undefined)
        case "lt", "<": return try compare("<", v, args.first ?? .undefined)
        case "le", "<=": return try compare("<=", v, args.first ?? .undefined)
        case "gt", ">", "greaterthan": return try compare(">", v, args.first ?? .undefined)
        case "ge", ">=": return try compare(">=", v, args.first ?? .undefined)
        case "in": return try contains(args.first ?? .undefined, v)
        default: throw JinjaError.unsupported("test '\(name)'", line: line)
        }
    }

    func callMethod(_ recv: JinjaRuntimeValue, _ name: String, _ args: [JinjaRuntimeValue], _ kw: JinjaOrderedDict<JinjaRuntimeValue>) throws -> JinjaRuntimeValue {
        if case .dict(let d) = recv {
            switch name {
            case "items": return .array(d.pairs.map { .array([.string($0.0), $0.1]) })
            case "keys": return .array(d.keys.map { .string($0) })
            case "values": return .array(d.pairs.map { $0.1 })
            case "get":
                guard let k = args.first else { throw JinjaError.type("get() needs a key", line: line) }
                return d[k.str] ?? arg(args, kw, 1, "default") ?? .none
            default: break
            }
        }
        if case .int(let index) = recv, name == "cycle" {
            guard !args.isEmpty else { throw JinjaError.type("loop.cycle() needs at least one value", line: line) }
            return args[index % args.count]
        }
        guard case .string(let s) = recv else { throw JinjaError.unsupported("method '\(name)' on \(recv.typeName)", line: line) }
        func optChars(_ i: Int) -> String? { if case .string(let c)? = args.count > i ? args[i] : nil { return c }; return nil }
        switch name {
        case "strip": return .string(Self.strip(s, optChars(0), left: true, right: true))
        case "lstrip": return .string(Self.strip(s, optChars(0), left: true, right: false))
        case "rstrip": return .string(Self.strip(s, optChars(0), left: false, right: true))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(Self.pyTitle(s))
        case "capitalize": return .string(Self.capitalize(s))
        case "replace":
            guard args.count >= 2 else { throw JinjaError.type("replace() needs 2 arguments", line: line) }
            return .string(Self.replace(s, args[0].str, args[1].str, count: args.count > 2 ? args[2].intValue : nil))
        case "startswith", "endswith":
            guard let p = args.first else { throw JinjaError.type("\(name)() needs an argument", line: line) }
            let options = try (p.isArray ? iterate(p) : [p]).map { try string($0, name) }
            return .bool(options.contains { name == "startswith" ? s.hasPrefix($0) : s.hasSuffix($0) })
        case "split":
            let sep = arg(args, kw, 0, "sep")
            let maxsplit = arg(args, kw, 1, "maxsplit")?.intValue ?? -1
            if sep == nil || sep!.isNone {
                let parts = s.split(maxSplits: maxsplit < 0 ? Int.max : maxsplit, omittingEmptySubsequences: true, whereSeparator: { $0.isWhitespace })
                var r = parts.map { String($0) }
                // Python keeps the remainder after maxsplit with only leading whitespace removed.
                if maxsplit >= 0, r.count > maxsplit, let last = r.last { r[r.count - 1] = last }
                return .array(r.map { .string($0) })
            }
            let sp = try string(sep!, "split")
            guard !sp.isEmpty else { throw JinjaError.type("empty separator", line: line) }
            var parts = s.components(separatedBy: sp)
            if maxsplit >= 0, parts.count > maxsplit + 1 {
                let head = Array(parts[0..<maxsplit])
                parts = head + [parts[maxsplit...].joined(separator: sp)]
            }
            return .array(parts.map { .string($0) })
        case "count":
            guard let sub = args.first?.str, !sub.isEmpty else { return .int(s.count + 1) }
            return .int(s.components(separatedBy: sub).count - 1)
        case "find":
            guard let sub = args.first?.str else { return .int(-1) }
            guard let r = s.range(of: sub) else { return .int(-1) }
            return .int(s.unicodeScalars.distance(from: s.startIndex, to: r.lowerBound))
        case "join":
            return .string(try iterate(args.first ?? .array([])).map(\.str).joined(separator: s))
        default: throw JinjaError.unsupported("string method '\(name)'", line: line)
        }
    }

    static func strip(_ s: String, _ chars: String?, left: Bool, right: Bool) -> String {
        let set: (Character) -> Bool = chars.map { c in { c.contains($0) } } ?? { $0.isWhitespace }
        var sub = Substring(s)
        if left { sub = sub.drop(while: set) }
        if right { while let l = sub.last, set(l) { sub.removeLast() } }
        return String(sub)
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int?) -> String {
        guard let count, count >= 0 else {
            if old.isEmpty { return new + s.map { String($0) + new }.joined() }
            return s.replacingOccurrences(of: old, with: new)
        }
        var parts = s.components(separatedBy: old)
        if parts.count - 1 <= count { return parts.joined(separator: new) }
        let head = parts[0...count].joined(separator: new)
        parts.removeFirst(count + 1)
        return head + old + parts.joined(separator: old)
    }

    static func capitalize(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst().lowercased()
    }

    /// Python str.title(): a letter after a non-letter starts a word.
    static func pyTitle(_ s: String) -> String {
        var out = "", prevLetter = false
        for c in s {
            out += prevLetter ? c.lowercased() : c.uppercased()
            prevLetter = c.isLetter
        }
        return out
    }

    /// jinja2's title filter: words start after whitespace or one of -({[<.
    static func jinjaTitle(_ s: String) -> String {
        var out = "", atStart = true
        for c in s {
            let boundary = c.isWhitespace || "-({[<".contains(c)
            out += boundary ? String(c) : (atStart ? c.uppercased() : c.lowercased())
            atStart = boundary
        }
        return out
    }
}

extension JinjaRuntimeValue {
    var isArray: Bool { if case .array = self { return true }; return false }
    var isNone: Bool { if case .none = self { return true }; return false }
}
