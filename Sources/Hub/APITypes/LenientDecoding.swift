import Foundation
import HTTPSupport

/// Request bodies were read field by field with `as?` casts, so a missing or wrongly typed field
/// fell back to a default instead of failing the request. These reads keep that: a field is read as
/// a `Field` (HTTPSupport), as the model server reads its own, and a `.wrong` one reads as absent.
extension KeyedDecodingContainer {
    func lenient<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) -> T? {
        ((try? decodeIfPresent(Field<T>.self, forKey: key)) ?? nil)?.value
    }

    /// `as? Bool` on a JSONSerialization number also took 0 and 1, so those still count.
    func lenientBool(forKey key: Key) -> Bool? {
        if let value = lenient(Bool.self, forKey: key) { return value }
        switch lenient(Double.self, forKey: key) {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }
}

/// `{}`: the answer to a request that succeeded and has nothing to report.
struct EmptyJSONObject: Encodable, Sendable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode([String: String]())
    }
}

extension KeyedDecodingContainer {
    /// `(x as? NSNumber)?.int64Value` took any JSON number (a fraction truncated) and booleans as 0/1.
    func lenientInt64(forKey key: Key) -> Int64? {
        if let value = lenient(Int64.self, forKey: key) { return value }
        if let value = lenient(Double.self, forKey: key), value.isFinite, abs(value) < 9.2e18 { return Int64(value) }
        return lenient(Bool.self, forKey: key).map { $0 ? 1 : 0 }
    }
}
