import Foundation
import HTTPSupport

/// A request field as sent: the expected type when it has it, otherwise the raw JSON, so that
/// validation (not the decoder) answers with the OpenAI 400 naming the parameter. A JSON `null`
/// decodes, through `decodeIfPresent`, as an absent field, as OpenAI treats it.
enum Field<T: Decodable & Sendable>: Decodable, Sendable {
    case value(T)
    case wrong(JSONValue)

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(T.self) { self = .value(v); return }
        let raw = try c.decode(JSONValue.self)
        // JSONSerialization read `2.0` as an integer; so does this.
        if T.self == Int.self, let d = raw.number, d == d.rounded(), abs(d) < 9.2e18, let v = Int(d) as? T {
            self = .value(v); return
        }
        self = .wrong(raw)
    }

    var value: T? { if case .value(let v) = self { return v }; return nil }
}

/// A decoded object together with the keys it was sent with (OpenAI refuses unknown keys).
struct Keyed<T: Decodable & Sendable>: Decodable, Sendable {
    var value: T
    var keys: [String]

    init(from decoder: any Decoder) throws {
        value = try T(from: decoder)
        keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
    }
}
