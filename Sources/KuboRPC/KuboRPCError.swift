import Foundation
import Hummingbird
import IPFSRouter
import NIOCore

/// Errors in Kubo's shape: `{"Message": "...", "Code": N, "Type": "error"}`; a client mistake is
/// HTTP 400 with Code 1, anything else HTTP 500 with Code 0 (as go-ipfs-cmds answers).
enum KuboRPCError: Error {
    case client(String)
    case server(String)

    var message: String {
        switch self { case .client(let m), .server(let m): return m }
    }

    static func missing(_ argument: String) -> KuboRPCError { .client("argument \"\(argument)\" is required") }

    /// Maps backend and router errors to Kubo's wording where Kubo has one.
    static func from(_ error: any Error) -> KuboRPCError {
        switch error {
        case let e as KuboRPCError: return e
        case BackendError.notFound(let cid): return .server("block was not found locally (offline): ipld: could not find \(cid)")
        case RouterError.notFound(let cid, _): return .server("block was not found locally (offline): ipld: could not find \(cid)")
        case RouterError.invalidCID(let s, let reason): return .server("invalid path \"\(s)\": \(reason)")
        case BackendError.invalidInput(let m): return .client(m)
        case let e as LocalizedError: return .server(e.errorDescription ?? "\(error)")
        default: return .server("\(error)")
        }
    }

    var response: Response {
        var code = 0
        if case .client = self { code = 1 }
        let body = KuboJSON.line(ErrorOutput(Message: message, Code: code))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: code == 1 ? .badRequest : .internalServerError, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

enum KuboJSON {
    /// One JSON object followed by a newline, as Kubo writes each value.
    static func line(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here is strings and integers, which always encode.
        var d = (try? encoder.encode(value)) ?? Data("{}".utf8)
        d.append(UInt8(ascii: "\n"))
        return d
    }

    static func response(_ value: some Encodable) -> Response {
        response(lines: [value])
    }

    static func response<Line: Encodable>(lines: [Line]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if lines.count > 1 { headers[.init("X-Chunked-Output")!] = "1" }
        var body = Data()
        for l in lines { body.append(line(l)) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
