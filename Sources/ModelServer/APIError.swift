import Foundation
import HTTPTypes
import Hummingbird
import HTTPSupport

/// An error in OpenAI's shape: `{"error":{"message","type","param","code"}}` with an HTTP status.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Extra response headers (WWW-Authenticate, Retry-After, X-RateLimit-*).
    public var headers: [String: String] = [:]

    public var description: String { "\(status.code) \(type): \(message)" }

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil,
                code: String? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers
    }

    public static func invalid(_ message: String, param: String? = nil, code: String? = "invalid_value") -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func unknownParameter(_ name: String) -> APIError {
        .invalid("Unrecognized request argument supplied: \(name)", param: name, code: "unknown_parameter")
    }

    public static func unsupported(_ name: String, _ why: String) -> APIError {
        .invalid("Unsupported parameter: '\(name)' \(why)", param: name, code: "unsupported_parameter")
    }

    public static func modelNotFound(_ model: String, _ why: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(model)' does not exist or cannot be loaded: \(why)",
                 type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    public static func unavailable(_ message: String, code: String, retryAfter: Int? = nil) -> APIError {
        var h: [String: String] = [:]
        if let retryAfter { h["Retry-After"] = String(retryAfter) }
        return APIError(status: .serviceUnavailable, message: message, type: "server_error", code: code, headers: h)
    }

    public static func server(_ message: String, code: String = "internal_error") -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error", code: code)
    }

    /// The body: `param` and `code` are present as `null` when unset, as OpenAI sends them.
    struct Body: Encodable, Sendable {
        struct Detail: Encodable, Sendable {
            var message: String
            var type: String
            var param: OrNull<String>
            var code: OrNull<String>
        }
        var error: Detail
    }

    var json: Body { Body(error: .init(message: message, type: type, param: OrNull(param), code: OrNull(code))) }

    /// The error as a response with its headers.
    func response(extraHeaders: [String: String] = [:]) -> Response {
        var r = JSONResponse.make(data: JSON.encode(json), status: status)
        for (k, v) in headers.merging(extraHeaders, uniquingKeysWith: { a, _ in a }) {
            if let name = HTTPField.Name(k) { r.headers[name] = v }
        }
        return r
    }
}

/// JSON in and out. A body is read twice: once as a whole (its keys, its model, the cache key),
/// then as the endpoint's request type.
enum JSON {
    /// As `JSONResponse.make` writes: `/` unescaped (as Python's `json`), and `{}` for a value
    /// that cannot be written (a non-finite number) rather than a failed answer.
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// Canonical form (sorted keys) for cache keys.
    static func canonical(_ object: [String: JSONValue]) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(object)) ?? Data()
    }

    static func object(from buffer: ByteBuffer) throws(APIError) -> [String: JSONValue] {
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else { throw APIError.invalid("The request body is empty; send a JSON object.", code: "invalid_json") }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw APIError.invalid("The request body is not valid JSON.", code: "invalid_json")
        }
        guard case .object(let obj) = value else {
            throw APIError.invalid("The request body must be a JSON object.", code: "invalid_json")
        }
        return obj
    }
}
