import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import HubDatabase

/// An error the hub answers with: a status, the client's `X-Error-Code` kind and a message a user can act on.
public struct HubError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String?
    public var message: String
    /// Sent with `EntryNotFound` so the client can cache the miss.
    public var repoCommit: String?

    public init(_ status: HTTPResponse.Status, code: String? = nil, _ message: String, repoCommit: String? = nil) {
        self.status = status; self.code = code; self.message = message; self.repoCommit = repoCommit
    }

    public var description: String { "\(status.code) \(code ?? ""): \(message)" }

    public static func repoNotFound(_ name: String) -> HubError {
        HubError(.notFound, code: "RepoNotFound",
                 "Repository Not Found for '\(name)'. It does not exist, or it is private and your token cannot read it.")
    }
    public static func revisionNotFound(_ rev: String) -> HubError {
        HubError(.notFound, code: "RevisionNotFound", "Invalid rev id: \(rev)")
    }
    public static func entryNotFound(_ path: String, commit: String?) -> HubError {
        HubError(.notFound, code: "EntryNotFound", "Entry not found: \(path)", repoCommit: commit)
    }
    public static func badRequest(_ message: String) -> HubError { HubError(.badRequest, code: "BadRequest", message) }
    public static func unauthorized(_ message: String) -> HubError { HubError(.unauthorized, code: "Unauthorized", message) }
    public static func forbidden(_ message: String) -> HubError { HubError(.forbidden, code: "Forbidden", message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        HFErrorResponse.make(status: status, code: code, message: message, repoCommit: repoCommit, body: ["error": message])
    }

    /// Maps database errors to the protocol's answers.
    static func from(_ error: any Error) -> any Error {
        guard let db = error as? HubDatabaseError else { return error }
        switch db {
        case .alreadyExists(let what): return HubError(.conflict, code: "Conflict", "\(what) already exists")
        case .notFound(let what): return HubError(.notFound, code: "EntryNotFound", "\(what) not found")
        case .parentMismatch: return HubError(.preconditionFailed, code: "PreconditionFailed", db.description)
        case .invalidConfiguration, .backend: return HubError(.internalServerError, db.description)
        }
    }
}

extension HTTPField.Name {
    static let xLinkedEtag = HTTPField.Name("X-Linked-Etag")!
    static let xLinkedSize = HTTPField.Name("X-Linked-Size")!
    static let xIPFSCID = HTTPField.Name("X-IPFS-CID")!
    static let xIPFSPath = HTTPField.Name("X-IPFS-Path")!
    static let link = HTTPField.Name("Link")!
}
