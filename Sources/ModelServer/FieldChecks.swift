import HTTPSupport
import Foundation

/// Typed reads of request fields; every wrong type or range is an OpenAI-shaped 400 naming the
/// parameter (a decoder's own error would name neither the parameter nor OpenAI's code).
enum Fields {
    /// Refuses any key outside `allowed` (OpenAI answers unknown arguments with a 400).
    static func only(_ keys: [String], _ allowed: Set<String>) throws(APIError) {
        for key in keys.sorted() where !allowed.contains(key) { throw APIError.unknownParameter(key) }
    }
}

extension Optional where Wrapped == Field<String> {
    func string(_ key: String) throws(APIError) -> String? {
        switch self {
        case nil: return nil
        case .value(let s)?: return s
        case .wrong?: throw APIError.invalid("'\(key)' must be a string.", param: key, code: "invalid_type")
        }
    }

    func required(_ key: String) throws(APIError) -> String {
        guard let s = try string(key), !s.isEmpty else {
            throw APIError.invalid("Missing required parameter: '\(key)'.", param: key, code: "missing_required_parameter")
        }
        return s
    }
}

extension Optional where Wrapped == Field<Bool> {
    func bool(_ key: String) throws(APIError) -> Bool? {
        switch self {
        case nil: return nil
        case .value(let b)?: return b
        case .wrong?: throw APIError.invalid("'\(key)' must be a boolean.", param: key, code: "invalid_type")
        }
    }
}

extension Optional where Wrapped == Field<Double> {
    func number(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let self else { return nil }
        guard case .value(let d) = self, d.isFinite else {
            throw APIError.invalid("'\(key)' must be a number.", param: key, code: "invalid_type")
        }
        guard range.contains(d) else {
            throw APIError.invalid("\(d) is out of range for '\(key)': expected \(range.lowerBound) to \(range.upperBound).", param: key)
        }
        return d
    }
}

extension Optional where Wrapped == Field<Int> {
    func integer(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let self else { return nil }
        // The bound the JSONSerialization reader had (it compared integers as Doubles): 9.2e18 and above are refused.
        guard case .value(let i) = self, abs(Double(i)) < 9.2e18 else {
            throw APIError.invalid("'\(key)' must be an integer.", param: key, code: "invalid_type")
        }
        guard range.contains(i) else {
            throw APIError.invalid("\(i) is out of range for '\(key)': expected \(range.lowerBound) to \(range.upperBound).", param: key)
        }
        return i
    }
}

extension Optional where Wrapped == Field<LogprobsBody> {
    /// Chat's reading.
    var flag: Field<Bool>? {
        map { if case .value(.flag(let b)) = $0 { return .value(b) }; return .wrong(.null) }
    }

    /// Completions' reading.
    var count: Field<Int>? {
        map { if case .value(.count(let n)) = $0 { return .value(n) }; return .wrong(.null) }
    }
}

extension JSON {
    /// A body already known to be a JSON object, read as one endpoint's request.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw APIError.invalid("The request body must be a JSON object.", code: "invalid_json")
        }
    }
}
