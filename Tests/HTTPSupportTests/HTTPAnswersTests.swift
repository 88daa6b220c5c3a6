import AsyncHTTPClient
import Foundation
import HTTPSupport
import Outbound
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

// MARK: Hugging Face error answers

@Test func errorHeadersAreOneLineOfASCII() {
    #expect(HFErrorResponse.headerValue("plain message") == "plain message")
    // "\r\n" is one Character, so one space.
    #expect(HFErrorResponse.headerValue("two\nlines\r\nhere") == "two lines here")
    #expect(HFErrorResponse.headerValue("repo é/模") == "repo  / ")
}

@Test func errorAnswerCarriesCodeMessageAndBody() throws {
    let r = HFErrorResponse.make(status: .notFound, code: "RepoNotFound", message: "no\nrepo 'x/é'", repoCommit: "abc",
                                 body: ["error": "no\nrepo 'x/é'"])
    #expect(r.status == .notFound)
    #expect(r.headers[.xErrorCode] == "RepoNotFound")
    #expect(r.headers[.xErrorMessage] == "no repo 'x/ '")
    #expect(r.headers[.xRepoCommit] == "abc")
    #expect(r.headers[.contentType] == "application/json")
    let noCode = HFErrorResponse.make(status: .badRequest, code: nil, message: "m", body: ["error": "m"])
    #expect(noCode.headers[.xErrorCode] == nil && noCode.headers[.xRepoCommit] == nil)
}

// MARK: JSON answers

@Test func jsonAnswersSayTypeAndLength() throws {
    let r = JSONResponse.make(encodingOrEmpty: ["path": "a/b"], status: .created)
    #expect(r.status == .created)
    #expect(r.headers[.contentType] == "application/json")
    // `/` is written unescaped, as Python's `json` writes it.
    #expect(r.headers[.contentLength] == String(#"{"path":"a/b"}"#.utf8.count))
    struct Body: Codable, Equatable { var id: String; var n: Int }
    let c = try JSONResponse.make(encoding: Body(id: "x/y", n: 1))
    #expect(c.headers[.contentType] == "application/json")
    #expect(c.headers[.contentLength] == String(#"{"id":"x/y","n":1}"#.utf8.count))
    // A value JSON cannot hold (a non-finite number) becomes `{}`, not a failed answer.
    #expect(JSONResponse.make(encodingOrEmpty: ["bad": Double.infinity]).headers[.contentLength] == "2")
    #expect(throws: (any Error).self) { try JSONResponse.make(encoding: ["bad": Double.nan]) }
}

// MARK: transport failures, by type

@Test func transportFailuresAreClassifiedByType() {
    #expect(TransportFailure(HTTPClientError.readTimeout) == .timedOut)
    #expect(TransportFailure(HTTPClientError.deadlineExceeded) == .timedOut)
    #expect(TransportFailure(HTTPClientError.connectTimeout) == .timedOut)
    #expect(TransportFailure(HTTPClientError.remoteConnectionClosed) == .closed)
    #expect(TransportFailure(ChannelError.ioOnClosedChannel) == .closed)
    #expect(TransportFailure(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == .refused)
    struct Odd: Error, CustomStringConvertible { var description: String { String(repeating: "z", count: 500) } }
    #expect(TransportFailure(Odd()) == .other(String(repeating: "z", count: 200)))
    #expect(TransportFailure.closed.describe(peer: "the source") == "connection closed by the source")
}

@Test func aRefusedConnectionIsReportedAsRefused() async throws {
    // Port 1 on loopback: nothing listens there, so the kernel refuses at once.
    let request = HTTPClientRequest(url: "http://127.0.0.1:1/api/v0/id")
    do {
        _ = try await OutboundHTTP.rpc.execute(request, timeout: .seconds(5))
        Issue.record("port 1 answered")
    } catch {
        #expect(TransportFailure(error) == .refused, "\(error)")
    }
}
