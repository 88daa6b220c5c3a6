import Foundation
import HTTPTypes
import Hummingbird

/// JSON answers: `application/json` and the body's length, the same way for every face.
public enum JSONResponse {
    /// Foundation objects (`[String: Any]`); `/` is not escaped, as Python's `json` does not.
    /// An object that cannot be written becomes `{}` rather than a failed answer.
    public static func make(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:],
                            sortedKeys: Bool = false) -> Response {
        var options: JSONSerialization.WritingOptions = [.withoutEscapingSlashes]
        if sortedKeys { options.insert(.sortedKeys) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data("{}".utf8)
        return make(data: data, status: status, headers: headers)
    }

    /// A `Codable` value.
    public static func make(encoding value: some Encodable, status: HTTPResponse.Status = .ok,
                            headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return make(data: try encoder.encode(value), status: status, headers: headers)
    }

    /// A `Codable` value; one that cannot be encoded (a non-finite number) becomes `{}`, as an
    /// object that cannot be written does.
    public static func make(encodingOrEmpty value: some Encodable, status: HTTPResponse.Status = .ok,
                            headers: HTTPFields = [:]) -> Response {
        (try? make(encoding: value, status: status, headers: headers)) ?? make(data: Data("{}".utf8), status: status, headers: headers)
    }

    /// Bytes that already are JSON (a cached answer).
    public static func make(data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
