import Foundation

/// A dictionary that keeps insertion order, as Python dicts (and so chat templates) do.
public struct JinjaOrderedDict<V> {
    public private(set) var keys: [String] = []
    private var storage: [String: V] = [:]
    public init() {}
    public init(_ pairs: [(String, V)]) { for (k, v) in pairs { self[k] = v } }
    public subscript(key: String) -> V? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    public var count: Int { keys.count }
    public var pairs: [(String, V)] { keys.map { ($0, storage[$0]!) } }
}
extension JinjaOrderedDict: Sendable where V: Sendable {}
extension JinjaOrderedDict: Equatable where V: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.keys == b.keys && a.storage == b.storage }
}

/// Data handed to a template: what JSON and Python literals can express.
public enum JinjaValue: Sendable, Equatable {
    case undefined
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaOrderedDict<JinjaValue>)

    public init(_ s: String) { self = .string(s) }
    public init(_ b: Bool) { self = .bool(b) }
    public init(_ i: Int) { self = .int(i) }
    public init(_ d: Double) { self = .double(d) }
    public init(_ a: [JinjaValue]) { self = .array(a) }
    public init(_ pairs: [(String, JinjaValue)]) { self = .object(JinjaOrderedDict(pairs)) }
    public init(_ d: [String: JinjaValue]) {
        // Swift dictionaries have no order; sort so renders are at least deterministic.
        self = .object(JinjaOrderedDict(d.keys.sorted().map { ($0, d[$0]!) }))
    }
    /// Parses JSON keeping object key order (JSONSerialization would lose it).
    public init(json: Data) throws { self = try JinjaJSONReader.parse(json) }
    public init(json: String) throws { self = try JinjaJSONReader.parse(Data(json.utf8)) }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral v: String) { self = .string(v) }
    public init(integerLiteral v: Int) { self = .int(v) }
    public init(booleanLiteral v: Bool) { self = .bool(v) }
    public init(floatLiteral v: Double) { self = .double(v) }
    public init(arrayLiteral v: JinjaValue...) { self = .array(v) }
    public init(dictionaryLiteral v: (String, JinjaValue)...) { self = .object(JinjaOrderedDict(v)) }
    public init(nilLiteral: ()) { self = .none }
}
