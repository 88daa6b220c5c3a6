import Foundation

/// jinja2's built-in filters, plus transformers' `tojson` (plain `json.dumps`, no HTML escaping).
extension JinjaInterpreter {
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        func bind(_ params: [String]) throws -> [JinjaValue?] { try JinjaMethods.bind(name, params, args, kwargs) }
        func str(_ v: JinjaValue) throws -> String { try printer.str(v) }
        func flag(_ v: JinjaValue?) -> Bool { v.map(JinjaOps.truthy) ?? false }

        switch name {
        case "trim":
            let b = try bind(["chars"])
            let chars: String? = if case .string(let c)? = b[0] { c } else { nil }
            return .string(JinjaStrings.strip(try str(value), chars: chars))
        case "upper": _ = try bind([]); return .string(try str(value).uppercased())
        case "lower": _ = try bind([]); return .string(try str(value).lowercased())
        case "capitalize": _ = try bind([]); return .string(JinjaStrings.capitalize(try str(value)))
        case "title": _ = try bind([]); return .string(Self.jinjaTitle(try str(value)))
        case "string": _ = try bind([]); return .string(try str(value))
        case "safe": _ = try bind([]); return value
        case "e", "escape": _ = try bind([]); return .string(Self.htmlEscape(try str(value)))
        case "length", "count":
            _ = try bind([])
            switch value {
            case .string(let s): return .int(JinjaOps.length(s))
            case .dict(let d): return .int(d.count)
            case .undefined: return .int(0)
            default:
                guard let items = value.sequenceItems else { throw JinjaError.type(line: 0, message: "object of type '\(JinjaOps.typeName(value))' has no len()") }
                return .int(items.count)
            }
        case "default", "d":
            let b = try bind(["default_value", "boolean"])
            let useDefault = value.isUndefined || (flag(b[1]) && !JinjaOps.truthy(value))
            return useDefault ? (b[0] ?? .string("")) : value
        case "tojson":
            let b = try bind(["ensure_ascii", "indent", "separators", "sort_keys"])
            var indent: String?
            switch b[1] {
            case nil, .none?: indent = nil
            case .int(let n)?:
                try JinjaOps.checkRepetition(max(0, n), of: 1)
                indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            case let other?: throw JinjaError.type(line: 0, message: "tojson indent must be an int or str, not \(JinjaOps.typeName(other))")
            }
            var separators: (String, String)?
            if let sep = b[2], sep != .none {
                guard let parts = sep.sequenceItems, parts.count == 2, case .string(let item) = parts[0], case .string(let key) = parts[1] else {
                    throw JinjaError.type(line: 0, message: "tojson separators must be a pair of strings")
                }
                separators = (item, key)
            }
            let encoder = JinjaJSONEncoder(ensureASCII: flag(b[0]), indent: indent, separators: separators, sortKeys: flag(b[3]))
            return .string(try encoder.encode(value))
        case "items":
            _ = try bind([])
            if value.isUndefined { return .array([]) }
            guard case .dict(let d) = value else { throw JinjaError.type(line: 0, message: "Can only get item pairs from a mapping.") }
            return .array(d.pairs.map { .tuple([.string($0.key), $0.value]) })
        case "list": _ = try bind([]); return .array(try JinjaOps.iterate(value))
        case "first", "last":
            _ = try bind([])
            let items = try JinjaOps.iterate(value)
            return (name == "first" ? items.first : items.last) ?? .undefined
        case "reverse":
            _ = try bind([])
            if case .string(let s) = value { return .string(JinjaOps.string(s.unicodeScalars.reversed())) }
            return .array(try JinjaOps.iterate(value).reversed())
        case "join":
            let b = try bind(["d", "attribute"])
            var items = try JinjaOps.iterate(value)
            if let attribute = b[1], attribute != .none { items = try items.map { try attributePath(attribute)($0) } }
            return .string(try items.map(str).joined(separator: try b[0].map(str) ?? ""))
        case "replace":
            let b = try bind(["old", "new", "count"])
            guard let old = b[0], let new = b[1] else { throw JinjaError.type(line: 0, message: "replace() needs old and new") }
            var count = -1
            if let c = b[2], c != .none { guard case .int(let n)? = JinjaOps.number(c) else { throw JinjaError.type(line: 0, message: "count must be an int") }; count = n }
            return .string(JinjaStrings.replace(try str(value), try str(old), try str(new), count: count))
        case "int":
            let b = try bind(["default", "base"])
            let fallback = b[0] ?? .int(0)
            if let base = b[1], base != .int(10) { throw JinjaError.unsupported(line: 0, feature: "int filter with a base other than 10") }
            switch value {
            case .int: return value
            case .bool(let x): return .int(x ? 1 : 0)
            case .double(let d): return d.isFinite ? .int(Int(d)) : fallback
            case .string(let s):
                let t = JinjaStrings.strip(s, chars: nil).replacingOccurrences(of: "_", with: "")
                if let i = Int(t) { return .int(i) }
                if let d = Self.pythonFloat(t), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            let b = try bind(["default"])
            let fallback = b[0] ?? .double(0)
            switch value {
            case .int(let i): return .double(Double(i))
            case .bool(let x): return .double(x ? 1 : 0)
            case .double: return value
            case .string(let s): return Self.pythonFloat(JinjaStrings.strip(s, chars: nil)).map { .double($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            _ = try bind([])
            switch value {
            case .int(let i): return .int(abs(i))
            case .bool(let x): return .int(x ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw JinjaError.type(line: 0, message: "bad operand type for abs(): '\(JinjaOps.typeName(value))'")
            }
        case "round":
            let b = try bind(["precision", "method"])
            var precision = 0
            if let p = b[0] { guard case .int(let n)? = JinjaOps.number(p) else { throw JinjaError.type(line: 0, message: "precision must be an int") }; precision = n }
            let method = try b[1].map(str) ?? "common"
            guard let n = JinjaOps.number(value) else { throw JinjaError.type(line: 0, message: "round needs a number") }
            let rounded = try Self.round(JinjaOps.double(n), precision, method)
            // Python's round(int, n) stays an int for the common method.
            if case .int = n, method == "common" { return .int(Int(rounded)) }
            return .double(rounded)
        case "wordcount":
            _ = try bind([])
            var count = 0, inWord = false
            for u in try str(value).unicodeScalars {
                let word = u == "_" || u.properties.isAlphabetic || u.properties.numericType != nil
                if word && !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        case "indent":
            let b = try bind(["width", "first", "blank"])
            let indent: String
            switch b[0] {
            case nil: indent = "    "
            case .string(let s)?: indent = s
            case let w?:
                guard case .int(let n)? = JinjaOps.number(w) else { throw JinjaError.type(line: 0, message: "indent width must be an int or str") }
                try JinjaOps.checkRepetition(max(0, n), of: 1)
                indent = String(repeating: " ", count: max(0, n))
            }
            var lines = JinjaStrings.splitLines(try str(value) + "\n")
            var out: String
            if flag(b[2]) {
                out = lines.joined(separator: "\n" + indent)
            } else {
                out = lines.isEmpty ? "" : lines.removeFirst()
                if !lines.isEmpty { out += "\n" + lines.map { $0.isEmpty ? $0 : indent + $0 }.joined(separator: "\n") }
            }
            return .string(flag(b[1]) ? indent + out : out)
        case "map":
            let items = try JinjaOps.iterate(value)
            if let attribute = kwargs.first(where: { $0.0 == "attribute" })?.1 {
                for (k, _) in kwargs where k != "attribute" && k != "default" {
                    throw JinjaError.type(line: 0, message: "Unexpected keyword argument '\(k)'")
                }
                let fallback = kwargs.first(where: { $0.0 == "default" })?.1
                let get = attributePath(attribute)
                return .array(try items.map { item in
                    let v = try get(item)
                    if let fallback, v.isUndefined { return fallback }
                    return v
                })
            }
            guard case .string(let filterName)? = args.first else { throw JinjaError.type(line: 0, message: "map requires a filter argument") }
            guard JinjaParser.knownFilters.contains(filterName) else { throw JinjaError.type(line: 0, message: "No filter named '\(filterName)'.") }
            return .array(try items.map { try applyFilter(filterName, $0, Array(args.dropFirst()), kwargs) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            var rest = args
            var get: (JinjaValue) throws -> JinjaValue = { $0 }
            if byAttribute {
                guard !rest.isEmpty else { throw JinjaError.type(line: 0, message: "Missing parameter for attribute name") }
                get = attributePath(rest.removeFirst())
            }
            var testName: String?
            if !rest.isEmpty {
                guard case .string(let t) = rest.removeFirst() else { throw JinjaError.type(line: 0, message: "test name must be a string") }
                guard JinjaParser.knownTests.contains(t) else { throw JinjaError.type(line: 0, message: "No test named '\(t)'.") }
                testName = t
            }
            let keep = name.hasPrefix("select")
            return .array(try JinjaOps.iterate(value).filter { item in
                let v = try get(item)
                let passed = try testName.map { try applyTest($0, v, rest) } ?? JinjaOps.truthy(v)
                return passed == keep
            })
        case "unique":
            let b = try bind(["case_sensitive", "attribute"])
            let key = sortKey(caseSensitive: flag(b[0]), attribute: b[1])
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for item in try JinjaOps.iterate(value) {
                let k = try key(item)
                if !seen.contains(where: { JinjaOps.equals($0, k) }) { seen.append(k); out.append(item) }
            }
            return .array(out)
        case "sort":
            let b = try bind(["reverse", "case_sensitive", "attribute"])
            let key = sortKey(caseSensitive: flag(b[1]), attribute: b[2])
            let keyed = try JinjaOps.iterate(value).map { (try key($0), $0) }
            let sorted = try Self.stableSort(keyed, reverse: flag(b[0]))
            return .array(sorted.map { $0.1 })
        case "dictsort":
            let b = try bind(["case_sensitive", "by", "reverse"])
            guard case .dict(let d) = value else { throw JinjaError.type(line: 0, message: "You can only sort by either 'key' or 'value'") }
            let byValue: Bool
            switch try b[1].map(str) ?? "key" {
            case "key": byValue = false
            case "value": byValue = true
            default: throw JinjaError.type(line: 0, message: "You can only sort by either 'key' or 'value'")
            }
            let key = sortKey(caseSensitive: flag(b[0]), attribute: nil)
            let keyed = try d.pairs.map { (try key(byValue ? $0.value : .string($0.key)), JinjaValue.tuple([.string($0.key), $0.value])) }
            return .array(try Self.stableSort(keyed, reverse: flag(b[2])).map { $0.1 })
        case "min", "max":
            let b = try bind(["case_sensitive", "attribute"])
            let key = sortKey(caseSensitive: flag(b[0]), attribute: b[1])
            let keyed = try JinjaOps.iterate(value).map { (try key($0), $0) }
            guard !keyed.isEmpty else { return .undefined }
            let sorted = try Self.stableSort(keyed, reverse: false)
            if name == "min" { return sorted[0].1 }
            // Python's max keeps the first of equal maxima.
            let top = sorted[sorted.count - 1].0
            for (k, v) in keyed where !(try JinjaOps.less(k, top)) { return v }
            return sorted[sorted.count - 1].1
        case "sum":
            let b = try bind(["attribute", "start"])
            var total = b[1] ?? .int(0)
            let get = b[0].map(attributePath) ?? { $0 }
            for item in try JinjaOps.iterate(value) { total = try JinjaOps.arithmetic("+", total, try get(item)) }
            return total
        case "attr":
            let b = try bind(["name"])
            guard case .string(let n)? = b[0] else { throw JinjaError.type(line: 0, message: "attr needs a name") }
            return try getattr(value, n)
        case "batch":
            let b = try bind(["linecount", "fill_with"])
            guard case .int(let size)? = b[0].flatMap(JinjaOps.number), size > 0 else { throw JinjaError.type(line: 0, message: "batch size must be a positive int") }
            var rows: [JinjaValue] = []
            var row: [JinjaValue] = []
            for item in try JinjaOps.iterate(value) {
                row.append(item)
                if row.count == size { rows.append(.array(row)); row = [] }
            }
            if !row.isEmpty {
                if let fill = b[1], fill != .none {
                    try JinjaOps.checkRepetition(size - row.count, of: 1)
                    row += Array(repeating: fill, count: size - row.count)
                }
                rows.append(.array(row))
            }
            return .array(rows)
        default:
            throw JinjaError.unsupported(line: 0, feature: "the '\(name)' filter")
        }
    }

    /// jinja2's attribute getter for filters: `"a.b"` walks keys, digit parts index lists.
    func attributePath(_ attribute: JinjaValue) -> (JinjaValue) throws -> JinjaValue {
        let parts: [JinjaValue]
        switch attribute {
        case .string(let s): parts = s.split(separator: ".", omittingEmptySubsequences: false).map { p in Int(p).map { .int($0) } ?? .string(String(p)) }
        default: parts = [attribute]
        }
        return { [unowned self] item in try parts.reduce(item) { try self.getitem($0, $1) } }
    }

    /// Sort keys as jinja2 builds them: strings compare case-insensitively unless asked not to.
    private func sortKey(caseSensitive: Bool, attribute: JinjaValue?) -> (JinjaValue) throws -> JinjaValue {
        let get: (JinjaValue) throws -> JinjaValue = (attribute == nil || attribute == JinjaValue.none) ? { $0 } : attributePath(attribute!)
        return { item in
            let v = try get(item)
            if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
            return v
        }
    }

    private static func stableSort(_ keyed: [(JinjaValue, JinjaValue)], reverse: Bool) throws -> [(JinjaValue, JinjaValue)] {
        var failure: Error?
        // Python's sort is stable, including with reverse=True.
        let sorted = keyed.enumerated().sorted { a, b in
            do {
                if try JinjaOps.less(a.element.0, b.element.0) { return !reverse }
                if try JinjaOps.less(b.element.0, a.element.0) { return reverse }
            } catch { failure = error }
            return a.offset < b.offset
        }
        if let failure { throw failure }
        return sorted.map { $0.element }
    }

    /// jinja2's `title` filter: capitalise after whitespace, `-`, and opening brackets.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for u in s.unicodeScalars {
            if JinjaLexer.isSpace(u) || "-({[<".unicodeScalars.contains(u) {
                out.unicodeScalars.append(u)
                atWordStart = true
            } else {
                out += atWordStart ? String(u).uppercased() : String(u).lowercased()
                atWordStart = false
            }
        }
        return out
    }

    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func pythonFloat(_ s: String) -> Double? {
        let t = s.replacingOccurrences(of: "_", with: "")
        switch t.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        guard !t.isEmpty, t.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }) else { return nil }
        return Double(t)
    }

    /// Python's `round(x, n)`: the exact binary value rounded half-to-even, which is what C's
    /// `%.*f` does.
    static func round(_ x: Double, _ precision: Int, _ method: String) throws -> Double {
        guard x.isFinite else { return x }
        switch method {
        case "common":
            if precision >= 0 { return Double(String(format: "%.\(min(precision, 300))f", x)) ?? x }
            let scale = pow(10, Double(-precision))
            return (x / scale).rounded(.toNearestOrEven) * scale
        case "ceil", "floor":
            let scale = pow(10, Double(precision))
            return ((x * scale).rounded(method == "ceil" ? .up : .down)) / scale
        default:
            throw JinjaError.type(line: 0, message: "method must be common, ceil or floor")
        }
    }
}
