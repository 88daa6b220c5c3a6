import Foundation
import HTTPTypes
import Hummingbird

/// JSON answers: `application/json` and the body's length, the same way for every face.
public enum JSONResponse {
    /// A `Codable` value; `/` is not escaped, as Python's `json` does not.
    public static func make(encoding value: some Encodable, status: HTTPResponse.Status = .ok,
                            headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return make(data: try encoder.encode(value), status: status, headers: headers)
    }

    /// A `Codable` value; one that cannot be encoded (a non-finite number) becomes `{}` rather than
    /// a failed answer.
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
