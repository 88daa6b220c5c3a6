import Foundation
import HTTPTypes
import Hummingbird

/// A Hugging Face protocol error answer: `X-Error-Code` (the kind `huggingface_hub` switches on),
/// `X-Error-Message`, optionally `X-Repo-Commit`, and a JSON body with at least `"error"`.
public enum HFErrorResponse {
    /// `body` is the JSON object sent; it should carry `"error": message`.
    public static func make(status: HTTPResponse.Status, code: String?, message: String, repoCommit: String? = nil,
                            body: some Encodable) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let code { headers[.xErrorCode] = code }
        headers[.xErrorMessage] = headerValue(message)
        if let repoCommit { headers[.xRepoCommit] = repoCommit }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A header value must be one line of visible ASCII: a message quoting a file name or an
    /// upstream's text may hold anything, and one newline would end the header (or the answer).
    public static func headerValue(_ text: String) -> String {
        String(text.map { $0.isASCII && !$0.isNewline ? $0 : " " })
    }
}
