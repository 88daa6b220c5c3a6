import Foundation

/// A JSON Schema keyword or shape this engine cannot enforce: the request is refused rather than
/// answered with output that might not validate.
public struct JSONGrammarError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// The language of JSON texts a schema admits, compiled into a graph of nodes that
/// `JSONGrammarMatcher` walks byte by byte during sampling.
///
/// Object properties come out in the schema's order (required ones always, optional ones may be
/// skipped) and no property the schema does not list is produced: a subset of what the schema
/// admits, so every complete output validates. Strings without `maxLength` and numbers are
/// bounded in length so that a small model cannot run on forever inside one value.
public struct JSONGrammar: Sendable, Equatable {
    struct Property: Sendable, Equatable {
        /// The key as it appears in the output, quotes included (`"name"`).
        var key: [UInt8]
        var value: Int
        var required: Bool
    }

    struct NumberBounds: Sendable, Equatable {
        var minimum: Double? = nil
        var maximum: Double? = nil
        var exclusiveMinimum = false
        var exclusiveMaximum = false

        func contains(_ v: Double) -> Bool {
            if let lo = minimum, exclusiveMinimum ? !(v > lo) : !(v >= lo) { return false }
            if let hi = maximum, exclusiveMaximum ? !(v < hi) : !(v <= hi) { return false }
            return true
        }

        /// Whether some value of [a, b] (the integers of it for integer nodes) is in bounds.
        func meets(_ a: Double, _ b: Double, integer: Bool) -> Bool {
            var lo = a, hi = b
            if integer {
                lo = a.rounded(.up)
                hi = b.rounded(.down)
                if let m = minimum { lo = max(lo, exclusiveMinimum ? m.rounded(.down) + 1 : m.rounded(.up)) }
                if let m = maximum { hi = min(hi, exclusiveMaximum ? m.rounded(.up) - 1 : m.rounded(.down)) }
                return lo <= hi
            }
            if let m = minimum, exclusiveMinimum ? !(hi > m) : !(hi >= m) { return false }
            if let m = maximum, exclusiveMaximum ? !(lo < m) : !(lo <= m) { return false }
            return lo <= hi
        }
    }

    enum Node: Sendable, Equatable {
        /// `additional`: the value node of keys the schema does not name (free-form objects);
        /// nil when only `properties` may appear.
        case object(properties: [Property], additional: Int?)
        case array(items: Int, minItems: Int, maxItems: Int?)
        case string(minLength: Int, maxLength: Int)
        case number(integer: Bool, bounds: NumberBounds)
        /// An exact JSON text: `true`, `null`, a `const` or one `enum` value.
        case literal([UInt8])
        case anyOf([Int])
    }

    var nodes: [Node]
    let root: Int

    static let defaultMaxStringLength = 512
    static let maxIntegerDigits = 15
    static let maxFractionDigits = 10
    static let maxDepth = 20

    /// Any JSON object (`response_format: {"type": "json_object"}`).
    public static var anyObject: JSONGrammar {
        var c = Compiler(document: JinjaDict())
        let any = c.anyValue()
        let root = c.add(.object(properties: [], additional: any))
        return JSONGrammar(nodes: c.nodes, root: root)
    }

    /// Compiles a JSON Schema (decoded with key order kept, `JinjaValue.parseJSON`). Throws for
    /// what cannot be enforced (`pattern`, `format`, `allOf` of several schemas, `not`...), naming it.
    public init(schema: JinjaValue) throws(JSONGrammarError) {
        if case .bool(true) = schema { self = Self.anyValueGrammar(); return }
        guard case .dict(let doc) = schema else { throw JSONGrammarError(path: "", message: "a JSON schema must be an object") }
        var c = Compiler(document: doc)
        let root = try c.compile(schema, path: "#")
        self.init(nodes: c.nodes, root: root)
    }

    /// The fewest bytes of a whole value of each node (for closing the text within max_tokens).
    let shortest: [Int]

    init(nodes: [Node], root: Int) {
        self.nodes = nodes
        self.root = root
        shortest = Self.shortestLengths(nodes)
    }

    /// Least fixpoint over the node graph (recursive `$ref`s converge from "unreachable").
    static func shortestLengths(_ nodes: [Node]) -> [Int] {
        let never = Int.max / 4
        var len = [Int](repeating: never, count: nodes.count)
        var changed = true
        while changed {
            changed = false
            for (i, n) in nodes.enumerated() {
                let v: Int
                switch n {
                case .object(let props, _):
                    let req = props.filter(\.required)
                    v = 2 + req.reduce(0) { $0 + $1.key.count + 1 + len[$1.value] } + max(req.count - 1, 0)
                case .array(let items, let lo, _): v = 2 + lo * len[items] + max(lo - 1, 0)
                case .string(let lo, _): v = 2 + lo
                case .number: v = 1
                case .literal(let b): v = b.count
                case .anyOf(let alts): v = alts.map { len[$0] }.min() ?? never
                }
                let capped = min(v, never)
                if capped < len[i] { len[i] = capped; changed = true }
            }
        }
        return len
    }

    static func anyValueGrammar() -> JSONGrammar {
        var c = Compiler(document: JinjaDict())
        let root = c.anyValue()
        return JSONGrammar(nodes: c.nodes, root: root)
    }
}

/// Schema to nodes. `$ref`s into `$defs`/`definitions` (and `#` itself) are compiled once and
/// may be recursive: the node index is reserved before the target is compiled.
private struct Compiler {
    let document: JinjaDict
    var nodes: [JSONGrammar.Node] = []
    var refs: [String: Int] = [:]
    var anyIndex: Int? = nil

    init(document: JinjaDict) { self.document = document }

    mutating func add(_ n: JSONGrammar.Node) -> Int {
        nodes.append(n)
        return nodes.count - 1
    }

    static let annotations: Set<String> = ["title", "description", "default", "examples", "$schema", "$id", "$comment",
                                           "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict", "name"]
    static let handled: Set<String> = ["type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
                                       "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                       "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "uniqueItems", "discriminator"]

    /// Every JSON value: any object, array, string, number, true, false or null.
    mutating func anyValue() -> Int {
        if let anyIndex { return anyIndex }
        let me = add(.anyOf([]))
        anyIndex = me
        let object = add(.object(properties: [], additional: me))
        let array = add(.array(items: me, minItems: 0, maxItems: nil))
        let string = add(.string(minLength: 0, maxLength: JSONGrammar.defaultMaxStringLength))
        let number = add(.number(integer: false, bounds: .init()))
        let lits = ["true", "false", "null"].map { add(.literal(Array($0.utf8))) }
        nodes[me] = .anyOf([object, array, string, number] + lits)
        return me
    }

    static func number(_ v: JinjaValue?) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    static func count(_ v: JinjaValue?, _ key: String, path: String) throws(JSONGrammarError) -> Int? {
        guard let v else { return nil }
        guard case .int(let i) = v, i >= 0 else { throw JSONGrammarError(path: path, message: "'\(key)' must be a non-negative integer") }
        return i
    }

    mutating func compile(_ schema: JinjaValue, path: String) throws(JSONGrammarError) -> Int {
        if case .bool(let b) = schema {
            guard b else { throw JSONGrammarError(path: path, message: "the schema `false` admits no value") }
            return anyValue()
        }
        guard case .dict(let s) = schema else { throw JSONGrammarError(path: path, message: "a schema must be an object or a boolean") }
        for key in s.keys where !Self.annotations.contains(key) && !Self.handled.contains(key) {
            throw JSONGrammarError(path: path, message: "the keyword '\(key)' is not supported for constrained output")
        }
        if case .string(let ref)? = s["$ref"] {
            if let i = refs[ref] { return i }
            let target = try resolve(ref, path: path)
            let i = add(.anyOf([]))   // reserved: recursive schemas point here
            refs[ref] = i
            let body = try compile(target, path: ref)
            nodes[i] = .anyOf([body])
            return i
        }
        if let c = s["const"] { return add(.literal(try Self.encode(c, path: path))) }
        if let e = s["enum"] {
            guard case .array(let values) = e, !values.isEmpty else { throw JSONGrammarError(path: path, message: "'enum' must be a non-empty array") }
            var alts: [Int] = []
            for v in values { alts.append(add(.literal(try Self.encode(v, path: path)))) }
            return alts.count == 1 ? alts[0] : add(.anyOf(alts))
        }
        for key in ["anyOf", "oneOf"] {
            guard let list = s[key] else { continue }
            guard case .array(let schemas) = list, !schemas.isEmpty else { throw JSONGrammarError(path: path, message: "'\(key)' must be a non-empty array") }
            var alts: [Int] = []
            for (i, sub) in schemas.enumerated() { alts.append(try compile(sub, path: "\(path)/\(key)/\(i)")) }
            return add(.anyOf(alts))
        }
        if let all = s["allOf"] {
            guard case .array(let list) = all, list.count == 1 else {
                throw JSONGrammarError(path: path, message: "'allOf' with more than one schema is not supported for constrained output")
            }
            return try compile(list[0], path: "\(path)/allOf/0")
        }
        if case .bool(true)? = s["uniqueItems"] {
            throw JSONGrammarError(path: path, message: "'uniqueItems' is not supported for constrained output")
        }
        var types: [String] = []
        switch s["type"] {
        case .string(let t)?: types = [t]
        case .array(let list)?:
            for t in list { guard case .string(let name) = t else { throw JSONGrammarError(path: path, message: "'type' must be a string or an array of strings") }; types.append(name) }
        case nil:
            if s["properties"] != nil { types = ["object"] } else if s["items"] != nil { types = ["array"] } else { return anyValue() }
        default: throw JSONGrammarError(path: path, message: "'type' must be a string or an array of strings")
        }
        guard !types.isEmpty else { throw JSONGrammarError(path: path, message: "'type' is an empty array") }
        var alts: [Int] = []
        for t in types { alts.append(try compile(type: t, s, path: path)) }
        return alts.count == 1 ? alts[0] : add(.anyOf(alts))
    }

    mutating func compile(type: String, _ s: JinjaDict, path: String) throws(JSONGrammarError) -> Int {
        switch type {
        case "object":
            var required: [String] = []
            if let r = s["required"] {
                guard case .array(let list) = r else { throw JSONGrammarError(path: path, message: "'required' must be an array of names") }
                for n in list { guard case .string(let name) = n else { throw JSONGrammarError(path: path, message: "'required' must be an array of names") }; required.append(name) }
            }
            var named = JinjaDict()
            if let p = s["properties"] {
                guard case .dict(let d) = p else { throw JSONGrammarError(path: path, message: "'properties' must be an object") }
                named = d
            }
            for r in required where named[r] == nil {
                throw JSONGrammarError(path: path, message: "'\(r)' is required but not among the properties")
            }
            var props: [JSONGrammar.Property] = []
            for (name, sub) in named.pairs {   // the schema's own order
                props.append(.init(key: try Self.encode(.string(name), path: path),
                                   value: try compile(sub, path: "\(path)/properties/\(name)"), required: required.contains(name)))
            }
            var additional: Int? = nil
            if named.isEmpty {
                switch s["additionalProperties"] {
                case .bool(false)?: additional = nil
                case .bool(true)?, nil: additional = anyValue()
                case let a?: additional = try compile(a, path: "\(path)/additionalProperties")
                }
            }
            return add(.object(properties: props, additional: additional))
        case "array":
            let items = try s["items"].map { item throws(JSONGrammarError) in try compile(item, path: "\(path)/items") } ?? anyValue()
            let lo = try Self.count(s["minItems"], "minItems", path: path) ?? 0
            let hi = try Self.count(s["maxItems"], "maxItems", path: path)
            if let hi, hi < lo { throw JSONGrammarError(path: path, message: "maxItems is below minItems") }
            return add(.array(items: items, minItems: lo, maxItems: hi))
        case "string":
            let lo = try Self.count(s["minLength"], "minLength", path: path) ?? 0
            let hi = try Self.count(s["maxLength"], "maxLength", path: path) ?? max(JSONGrammar.defaultMaxStringLength, lo)
            if hi < lo { throw JSONGrammarError(path: path, message: "maxLength is below minLength") }
            return add(.string(minLength: lo, maxLength: hi))
        case "number", "integer":
            var b = JSONGrammar.NumberBounds()
            b.minimum = Self.number(s["minimum"])
            b.maximum = Self.number(s["maximum"])
            // Draft 6+: exclusiveMinimum is a number; draft 4: a boolean beside minimum.
            if let x = Self.number(s["exclusiveMinimum"]) {
                if let m = b.minimum, m > x {} else { b.minimum = x; b.exclusiveMinimum = true }
            } else if case .bool(true)? = s["exclusiveMinimum"] { b.exclusiveMinimum = true }
            if let x = Self.number(s["exclusiveMaximum"]) {
                if let m = b.maximum, m < x {} else { b.maximum = x; b.exclusiveMaximum = true }
            } else if case .bool(true)? = s["exclusiveMaximum"] { b.exclusiveMaximum = true }
            if let lo = b.minimum, let hi = b.maximum, lo > hi || !b.meets(lo, hi, integer: type == "integer") {
                throw JSONGrammarError(path: path, message: "no \(type) lies within the bounds")
            }
            return add(.number(integer: type == "integer", bounds: b))
        case "boolean":
            let t = add(.literal(Array("true".utf8))), f = add(.literal(Array("false".utf8)))
            return add(.anyOf([t, f]))
        case "null":
            return add(.literal(Array("null".utf8)))
        default:
            throw JSONGrammarError(path: path, message: "unknown type '\(type)'")
        }
    }

    func resolve(_ ref: String, path: String) throws(JSONGrammarError) -> JinjaValue {
        if ref == "#" { return .dict(document) }
        guard ref.hasPrefix("#/") else { throw JSONGrammarError(path: path, message: "only local $refs (#/...) are supported, not '\(ref)'") }
        var at = JinjaValue.dict(document)
        for raw in ref.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let part = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard case .dict(let d) = at, let next = d[part] else {
                throw JSONGrammarError(path: path, message: "the $ref '\(ref)' points at nothing")
            }
            at = next
        }
        return at
    }

    /// The compact JSON text of a `const`/`enum` value (what the output must spell exactly).
    static func encode(_ v: JinjaValue, path: String) throws(JSONGrammarError) -> [UInt8] {
        guard let text = try? v.jsonText(compact: true) else { throw JSONGrammarError(path: path, message: "an enum or const value is not JSON") }
        return Array(text.utf8)
    }
}
