import Foundation

/// A value as a Jinja template sees it: the Python objects jinja2 would hold, with Python's
/// printing, truthiness and equality applied by the interpreter.
public enum JinjaValue: Sendable, Equatable {
    case none
    /// A missing variable, key or attribute: prints as nothing and is falsy, as in jinja2.
    case undefined
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case dict(JinjaDict)
    /// Tuples, namespaces, macros, loop state and callables, which only exist during a render.
    case object(JinjaObject)
}

/// A dictionary that keeps insertion order, because `tojson` and Python's `repr` print keys in
/// the order the tool schema or tool call was written.
public struct JinjaDict: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}

    /// Later duplicates replace the value but keep the first position, like a Python dict.
    public init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var values: [JinjaValue] { keys.map { storage[$0]! } }
    public var pairs: [(key: String, value: JinjaValue)] { keys.map { ($0, storage[$0]!) } }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Python dict equality ignores order.
    public static func == (a: JinjaDict, b: JinjaDict) -> Bool { a.storage == b.storage }
}

/// Render-time objects. Their contents are internal: templates create them, callers never do.
public struct JinjaObject: Sendable, Equatable {
    indirect enum Kind: Sendable, Equatable {
        case tuple([JinjaValue])
        /// Namespaces are mutable and shared, so the value holds an id into the render's store.
        case namespace(Int)
        case macro(Int, name: String)
        case function(JinjaBuiltin)
        /// A method looked up on a value (`message.content.strip`), called later.
        case method(JinjaValue, String)
        case loop(JinjaLoopState)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }
}

enum JinjaBuiltin: String, Sendable, Equatable {
    case range, namespace, dict, raiseException = "raise_exception", strftimeNow = "strftime_now"
    case joiner, cycler, lipsum
}

struct JinjaLoopState: Sendable, Equatable {
    var items: [JinjaValue]
    var index0: Int
    var depth0: Int
}

extension JinjaValue {
    static func tuple(_ items: [JinjaValue]) -> JinjaValue { .object(JinjaObject(.tuple(items))) }

    /// Items of anything Python would treat as an ordered sequence here (list or tuple).
    var sequenceItems: [JinjaValue]? {
        switch self {
        case .array(let a): return a
        case .object(let o): if case .tuple(let t) = o.kind { return t }; return nil
        default: return nil
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }
}

// MARK: - Building values from Swift

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    /// Dictionary literals keep the order they are written in.
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .dict(JinjaDict(elements)) }
    public init(nilLiteral: ()) { self = .none }

    public init(_ value: String) { self = .string(value) }
    public init(_ value: Int) { self = .int(value) }
    public init(_ value: Double) { self = .double(value) }
    public init(_ value: Bool) { self = .bool(value) }
    public init(_ value: [JinjaValue]) { self = .array(value) }
    /// Swift dictionaries have no order; keys are sorted so renders are at least reproducible.
    /// Use `JinjaDict` or `init(jsonData:)` when the original key order matters.
    public init(_ value: [String: JinjaValue]) {
        self = .dict(JinjaDict(value.keys.sorted().map { ($0, value[$0]!) }))
    }

    /// Converts `JSONSerialization` output. Foundation loses object key order, so keys are sorted;
    /// prefer `init(jsonData:)` for tool schemas and tool calls.
    public init(any value: Any?) throws {
        guard let value else { self = .none; return }
        switch value {
        case is NSNull: self = .none
        case let s as String: self = .string(s)
        case let n as NSNumber:
            // objCType is the portable way (Darwin and Linux) to tell JSON booleans from numbers.
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .double(n.doubleValue)
            default: self = .int(n.intValue)
            }
        case let a as [Any?]: self = .array(try a.map { try JinjaValue(any: $0) })
        case let d as [String: Any?]:
            self = .dict(JinjaDict(try d.keys.sorted().map { ($0, try JinjaValue(any: d[$0]!)) }))
        case let v as JinjaValue: self = v
        default:
            throw JinjaError.type(line: 0, message: "cannot convert \(type(of: value)) to a template value")
        }
    }

    /// Parses JSON keeping object key order, so `tojson` reproduces the caller's tool schemas.
    public init(jsonData: Data) throws {
        guard let text = String(data: jsonData, encoding: .utf8) else {
            throw JinjaError.type(line: 0, message: "JSON is not UTF-8")
        }
        self = try JinjaJSONParser.parse(text)
    }

    public init(json: String) throws { self = try JinjaJSONParser.parse(json) }
}
