import Foundation

// The git-lfs batch API's bodies (https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md)
// and the hub's multipart completion and verify bodies. Requests decode leniently, field by field,
// as the dictionary reads they replace did: a missing or mistyped field reads as absent.

/// `POST {repo}.git/info/lfs/objects/batch`.
package struct LFSBatchRequest: Decodable, Sendable {
    package var operation: String?
    package var transfers: [String]?
    /// Nil when absent or not a list of objects (the request is then refused whole).
    package var objects: [LFSBatchRequestObject]?

    private enum CodingKeys: String, CodingKey { case operation, transfers, objects }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        operation = c.lenient(String.self, forKey: .operation)
        transfers = c.lenient([String].self, forKey: .transfers)
        objects = c.lenient([LFSBatchRequestObject].self, forKey: .objects)
    }
}

/// An object of a batch request: its oid (lower-cased) and size, -1 when the size is not a number.
package struct LFSBatchRequestObject: Decodable, Sendable {
    package var oid: String
    package var size: Int64

    private enum CodingKeys: String, CodingKey { case oid, size }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        oid = (c.lenient(String.self, forKey: .oid) ?? "").lowercased()
        size = c.lenientInt64(forKey: .size) ?? -1
    }
}

/// The batch answer.
struct LFSBatchResponse: Encodable, Sendable {
    var transfer = "basic"
    var objects: [LFSBatchResponseObject]
    var hash_algo = "sha256"
}

struct LFSBatchResponseObject: Encodable, Sendable {
    var oid: String
    var size: Int64
    var authenticated: Bool?
    var actions: LFSActions?
    var error: LFSObjectError?
}

struct LFSActions: Encodable, Sendable {
    var upload: LFSAction?
    var verify: LFSAction?
    var download: LFSAction?
}

struct LFSAction: Encodable, Sendable {
    var href: String
    /// Multipart uploads: `chunk_size` and one URL per part number; downloads: the Authorization to send.
    var header: [String: String]?
    var expires_in: Int64?
}

struct LFSObjectError: Encodable, Sendable {
    var code: Int
    var message: String
}

/// `POST /hub-lfs/upload/{oid}/{size}` (multipart completion): `{"parts": [{"partNumber": n, ...}]}`.
struct LFSCompletionRequest: Decodable, Sendable {
    var partNumbers: [Int64]

    private enum CodingKeys: String, CodingKey { case parts }
    private struct Part: Decodable {
        var number: Int64?
        private enum CodingKeys: String, CodingKey { case partNumber }
        init(from decoder: any Decoder) throws {
            number = try decoder.container(keyedBy: CodingKeys.self).lenientInt64(forKey: .partNumber)
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        partNumbers = (c.lenient([Part].self, forKey: .parts) ?? []).compactMap(\.number)
    }
}

/// `POST /hub-lfs/verify` and the answers of completion and verify: `{oid, size}`.
struct LFSObjectReference: Codable, Sendable {
    var oid: String?
    var size: Int64?

    init(oid: String, size: Int64) { self.oid = oid; self.size = size }

    private enum CodingKeys: String, CodingKey { case oid, size }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        oid = c.lenient(String.self, forKey: .oid)?.lowercased()
        size = c.lenientInt64(forKey: .size)
    }
}
