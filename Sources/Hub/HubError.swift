import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import HubDatabase

/// The `X-Error-Code` kinds the hub answers with. huggingface_hub turns RepoNotFound,
/// RevisionNotFound, EntryNotFound and GatedRepo into its own exception types; the others are
/// this hub's, so that a client or an operator can tell the failures apart. Not a closed enum:
/// a fallback source's own kind is passed on as the source sent it.
public struct HubErrorCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let badGateway = HubErrorCode(rawValue: "BadGateway")
    public static let badRequest = HubErrorCode(rawValue: "BadRequest")
    public static let conflict = HubErrorCode(rawValue: "Conflict")
    public static let entryNotFound = HubErrorCode(rawValue: "EntryNotFound")
    public static let fallbackDisabled = HubErrorCode(rawValue: "FallbackDisabled")
    public static let forbidden = HubErrorCode(rawValue: "Forbidden")
    public static let gitHistoryBroken = HubErrorCode(rawValue: "GitHistoryBroken")
    public static let modelServer = HubErrorCode(rawValue: "ModelServer")
    public static let notFound = HubErrorCode(rawValue: "NotFound")
    public static let notImplemented = HubErrorCode(rawValue: "NotImplemented")
    public static let preconditionFailed = HubErrorCode(rawValue: "PreconditionFailed")
    public static let repoNotFound = HubErrorCode(rawValue: "RepoNotFound")
    public static let revisionNotFound = HubErrorCode(rawValue: "RevisionNotFound")
    public static let storeBackendUnavailable = HubErrorCode(rawValue: "StoreBackendUnavailable")
    public static let unauthorized = HubErrorCode(rawValue: "Unauthorized")
    public static let gatedRepo = HubErrorCode(rawValue: "GatedRepo")
}

/// An error the hub answers with: a status, the client's `X-Error-Code` kind and a message a user can act on.
public struct HubError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: HubErrorCode?
    public var message: String
    /// Sent with `EntryNotFound` so the client can cache the miss.
    public var repoCommit: String?

    public init(_ status: HTTPResponse.Status, code: HubErrorCode? = nil, _ message: String, repoCommit: String? = nil) {
        self.status = status; self.code = code; self.message = message; self.repoCommit = repoCommit
    }

    public var description: String { "\(status.code) \(code?.rawValue ?? ""): \(message)" }

    public static func repoNotFound(_ name: String) -> HubError {
        HubError(.notFound, code: .repoNotFound,
                 "Repository Not Found for '\(name)'. It does not exist, or it is private and your token cannot read it.")
    }
    public static func revisionNotFound(_ rev: String) -> HubError {
        HubError(.notFound, code: .revisionNotFound, "Invalid rev id: \(rev)")
    }
    public static func entryNotFound(_ path: String, commit: String?) -> HubError {
        HubError(.notFound, code: .entryNotFound, "Entry not found: \(path)", repoCommit: commit)
    }
    public static func badRequest(_ message: String) -> HubError { HubError(.badRequest, code: .badRequest, message) }
    public static func unauthorized(_ message: String) -> HubError { HubError(.unauthorized, code: .unauthorized, message) }
    public static func forbidden(_ message: String) -> HubError { HubError(.forbidden, code: .forbidden, message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        HFErrorResponse.make(status: status, code: code?.rawValue, message: message, repoCommit: repoCommit, body: ["error": message])
    }

    /// Maps database errors to the protocol's answers.
    static func from(_ error: any Error) -> any Error {
        guard let db = error as? HubDatabaseError else { return error }
        switch db {
        case .alreadyExists(let what): return HubError(.conflict, code: .conflict, "\(what) already exists")
        case .notFound(let what): return HubError(.notFound, code: .entryNotFound, "\(what) not found")
        case .parentMismatch: return HubError(.preconditionFailed, code: .preconditionFailed, db.description)
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
