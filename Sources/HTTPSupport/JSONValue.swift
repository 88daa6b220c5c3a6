import Foundation

/// Arbitrary JSON as a `Codable` value: the parts of a body whose shape is the client's or another
/// server's (the model server's JSON schemas, tool parameters and `metadata`; a fallback source's
/// repo info, passed on with fields added), and a field's raw value for naming it in a 400.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    /// Integers apart, so that a 64-bit `seed` keeps every digit (in the cache key too).
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public var number: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var isNull: Bool { self == .null }
}

/// Any key of a JSON object, to list the keys a client sent.
public struct AnyKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// A request field as sent: the expected type when it has it, otherwise the raw JSON. The one way
/// request bodies read their fields: the model server's validation answers a `.wrong` field with
/// the OpenAI 400 naming the parameter; the hub reads it as absent (`lenient`), as its clients
/// expect. A JSON `null` decodes, through `decodeIfPresent`, as an absent field.
public enum Field<T: Decodable & Sendable>: Decodable, Sendable {
    case value(T)
    case wrong(JSONValue)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(T.self) { self = .value(v); return }
        let raw = try c.decode(JSONValue.self)
        // JSONSerialization read `2.0` as an integer; so does this.
        if T.self == Int.self, let d = raw.number, d == d.rounded(), abs(d) < 9.2e18, let v = Int(d) as? T {
            self = .value(v); return
        }
        self = .wrong(raw)
    }

    public var value: T? { if case .value(let v) = self { return v }; return nil }
}

/// A decoded object together with the keys it was sent with (OpenAI refuses unknown keys).
public struct Keyed<T: Decodable & Sendable>: Decodable, Sendable {
    public var value: T
    public var keys: [String]

    public init(from decoder: any Decoder) throws {
        value = try T(from: decoder)
        keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
    }
}
