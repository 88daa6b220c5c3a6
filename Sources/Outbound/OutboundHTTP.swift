import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// The process's outbound HTTP: one AsyncHTTPClient per kind of peer, created once and never shut
/// down (AsyncHTTPClient wants an explicit shutdown, which a process-wide client never needs), and
/// one way to say why a request failed on the wire.
public enum OutboundHTTP {
    /// For hosts outside this process's control (fallback sources, Hugging Face, another hub):
    /// redirects are not followed (a token must not travel to another origin), and a source that
    /// stops sending for 30 s is given up on, whatever the whole request's deadline.
    public static let sources: HTTPClient = {
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                              timeout: .init(connect: .seconds(10), read: .seconds(30)))
        config.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }()

    /// For RPC to a local daemon (Kubo, IPFS Cluster): a refused connection fails at once instead of
    /// being retried with back-off until the deadline (AsyncHTTPClient's default), so a dead node is
    /// noticed fast; no idle-read timeout, because `pin add` and friends answer only when done.
    public static let rpc: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.connectionPool.retryConnectionEstablishment = false
        config.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }()
}

/// Why a request failed before an answer arrived, from the error's type rather than its text.
public enum TransportFailure: Sendable, Equatable {
    case timedOut
    case refused
    case closed
    case other(String)

    public init(_ error: any Error) {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout { self = .timedOut; return }
            if e == .remoteConnectionClosed { self = .closed; return }
        }
        if let e = error as? ChannelError, e == .ioOnClosedChannel || e == .eof || e == .alreadyClosed {
            self = .closed; return
        }
        if Self.isRefused(error) { self = .refused; return }
        let text = "\(error)"
        // Some NIO errors print whole address lists; a reason is for a log line or a header.
        self = .other(text.count > 200 ? String(text.prefix(200)) : text)
    }

    /// A short reason; `peer` names who closed the connection ("the source", "the server").
    public func describe(peer: String = "the server") -> String {
        switch self {
        case .timedOut: return "timed out"
        case .refused: return "connection refused"
        case .closed: return "connection closed by \(peer)"
        case .other(let text): return text
        }
    }

    private static func isRefused(_ error: any Error) -> Bool {
        if let e = error as? IOError { return e.errnoCode == ECONNREFUSED }
        // Connecting tries every address of the host; refused when each attempt was.
        if let e = error as? NIOConnectionError {
            return !e.connectionErrors.isEmpty && e.connectionErrors.allSatisfy { isRefused($0.error) }
        }
        return false
    }
}
