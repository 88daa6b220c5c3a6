import Crypto
import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import HubDatabase
import Primitives

/// The git-lfs batch API (basic and multipart transfers, the `download` operation git-lfs uses for
/// clones) and the hub's upload, verify and object-download endpoints. Upload URLs carry their own
/// authorisation (an HMAC over object, size, uploader and expiry), never a token; a download's
/// href carries the caller's own Authorization back to this hub, never to another origin.
package struct LFSController: Sendable {
    let database: HubDatabase
    let content: ContentStore
    let placement: ContentPlacement
    let repos: RepoAccess
    /// Key of the upload URLs' HMAC.
    let signingSecret: [UInt8]
    let origin: HubOrigin
    let responses: ContentResponses

    static let multipartThreshold: Int64 = 64 * 1024 * 1024
    static let multipartChunk: Int64 = 16 * 1024 * 1024
    static let uploadURLLifetime: Int64 = 24 * 3600
    /// The largest object a batch upload is offered for: multipart's 10000 parts of `multipartChunk`
    /// (156 GiB). Larger sizes would overflow the part arithmetic and list billions of part URLs.
    package static let maxObjectSize: Int64 = 10_000 * multipartChunk
    static let maxBatchObjects = 10_000

    /// `lfs`: Bearer or git's Basic; `open`: routes that carry their own authorisation (signed
    /// upload URLs); `api`: Bearer.
    func addRoutes(lfs: HubRouter, open: HubRouter, api: HubRouter) {
        for type in RepoType.allCases {
            let prefix = type == .model ? "" : "/\(type.plural)"
            lfs.post("\(prefix)/:ns/{name}.git/info/lfs/objects/batch") { req, ctx in try await batch(type, req, ctx) }
            lfs.get("/hub-lfs/objects/\(type.rawValue)/:ns/:name/:oid") { req, ctx in try await download(type, req, ctx) }
        }
        open.put("/hub-lfs/upload/:oid/:size") { req, ctx in try await upload(req, ctx) }
        open.put("/hub-lfs/upload/:oid/:size/:part") { req, ctx in try await uploadPart(req, ctx) }
        open.post("/hub-lfs/upload/:oid/:size") { req, ctx in try await completeMultipart(req, ctx) }
        api.post("/hub-lfs/verify") { req, ctx in try await verify(req, ctx.caller) }
    }

    // MARK: batch

    func batch(_ type: RepoType, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = context.caller
        let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
        let body = try await HubRequestBody.decode(LFSBatchRequest.self, request)
        let operation = body.operation ?? "upload"
        if operation == "download" { return try await batchDownload(type, ns, name, body, request, caller) }
        guard operation == "upload" else {
            throw HubError.badRequest("The LFS batch operation must be 'upload' or 'download', not '\(operation)'")
        }
        _ = try await repos.writable(type, ns, name, caller: caller)
        guard let user = caller.name else { throw HubError.unauthorized("LFS uploads need a write token") }
        let (objects, transfers) = try Self.uploadObjects(body)
        let base = origin(request)
        let expiry = Int64(Date().timeIntervalSince1970) + Self.uploadURLLifetime
        var answer: [LFSBatchResponseObject] = []
        for object in objects {
            let oid: String, size: Int64
            switch object {
            case .invalid(let o, let s, let message):
                answer.append(LFSBatchResponseObject(oid: o, size: s, error: LFSObjectError(code: 422, message: message)))
                continue
            case .upload(let o, let s):
                (oid, size) = (o, s)
            }
            // The record alone is not enough: hubs sharing a database may not share a store, so the
            // bytes must be here (or on the store backend) before the client is told to skip the upload.
            if let record = try await database.lfsObject(sha256: oid), try await placement.isStored(record.cid),
               (try? await attachable(oid: oid, size: size, caller: caller, path: oid)) != nil {
                answer.append(LFSBatchResponseObject(oid: oid, size: size))  // already here and this caller may use it
                continue
            }
            let query = "u=\(PercentEncoding.encode(user))&e=\(expiry)&s=\(signature(oid: oid, size: size, user: user, expiry: expiry))"
            let href = "\(base)/hub-lfs/upload/\(oid)/\(size)"
            let upload = LFSAction(href: "\(href)?\(query)",
                                   header: Self.multipartUploadHeader(href: href, query: query, size: size, transfers: transfers),
                                   expires_in: Self.uploadURLLifetime)
            answer.append(LFSBatchResponseObject(oid: oid, size: size, authenticated: true,
                                                 actions: LFSActions(upload: upload, verify: LFSAction(href: "\(base)/hub-lfs/verify"))))
        }
        return Self.batchResponse(answer)
    }

    /// The batch `download`: an href per object of this repo the caller may read.
    private func batchDownload(_ type: RepoType, _ ns: String, _ name: String, _ body: LFSBatchRequest,
                               _ request: Request, _ caller: Caller) async throws -> Response {
        let repo = try await repos.readable(type, ns, name, caller: caller)
        guard let objects = body.objects, objects.count <= Self.maxBatchObjects else {
            throw HubError.badRequest("'objects' must be a list of at most \(Self.maxBatchObjects) {oid, size}")
        }
        let base = origin(request)
        let authorization = request.headers[.authorization].map { ["Authorization": $0] }
        var answer: [LFSBatchResponseObject] = []
        for object in objects {
            guard let record = try await lfsObject(object.oid, in: repo), record.size == object.size else {
                answer.append(LFSBatchResponseObject(oid: object.oid, size: max(object.size, 0),
                                                     error: LFSObjectError(code: 404, message: "Object does not exist in \(ns)/\(name)")))
                continue
            }
            let href = "\(base)/hub-lfs/objects/\(type.rawValue)/\(PercentEncoding.encode(ns))/\(PercentEncoding.encode(name))/\(object.oid)"
            answer.append(LFSBatchResponseObject(oid: object.oid, size: object.size, authenticated: true,
                                                 actions: LFSActions(download: LFSAction(href: href, header: authorization))))
        }
        return Self.batchResponse(answer)
    }

    private static func batchResponse(_ objects: [LFSBatchResponseObject]) -> Response {
        var response = JSONResponse.make(encodingOrEmpty: LFSBatchResponse(objects: objects))
        response.headers[.contentType] = "application/vnd.git-lfs+json"
        return response
    }

    /// The objects of an upload request, each checked, and the client's transfers.
    package static func uploadObjects(_ body: LFSBatchRequest) throws -> (objects: [LFSBatchObject], transfers: [String]) {
        guard let objects = body.objects, objects.count <= maxBatchObjects else {
            throw HubError.badRequest("'objects' must be a list of at most \(maxBatchObjects) {oid, size}")
        }
        return (objects.map { object in
            let (oid, size) = (object.oid, object.size)
            guard Hex.isLowercase(oid, count: 64), size >= 0 else {
                return .invalid(oid: oid, size: max(size, 0), message: "oid must be 64 hex digits and size >= 0")
            }
            guard size <= maxObjectSize else {
                return .invalid(oid: oid, size: size, message: "size is over the hub's limit of \(maxObjectSize) bytes")
            }
            return .upload(oid: oid, size: size)
        }, body.transfers ?? ["basic"])
    }

    /// The `header` of a multipart upload action (chunk size and one URL per part), or nil when the
    /// object goes in one PUT. `size` must be at most `maxObjectSize`.
    package static func multipartUploadHeader(href: String, query: String, size: Int64, transfers: [String]) -> [String: String]? {
        guard size > multipartThreshold, size <= maxObjectSize, transfers.contains("multipart") else { return nil }
        var header: [String: String] = ["chunk_size": String(multipartChunk)]
        for n in 1...multipartPartCount(size: size) { header[String(n)] = "\(href)/\(n)?\(query)" }
        return header
    }

    /// The number of `multipartChunk` parts of an object of `size` bytes (0 for an empty one).
    package static func multipartPartCount(size: Int64) -> Int64 {
        size / multipartChunk + (size % multipartChunk == 0 ? 0 : 1)
    }

    // MARK: objects and who may use them

    /// An LFS object may be attached only by someone who uploaded it or can read a repo that holds it.
    func attachable(oid: String, size: Int64, caller: Caller, path: String) async throws -> LFSObjectRecord {
        let missing = HubError.badRequest("LFS object \(oid) for '\(path)' was not uploaded to this hub: upload it (LFS batch) before committing")
        guard Hex.isLowercase(oid, count: 64), let object = try await database.lfsObject(sha256: oid),
              try await placement.isStored(object.cid) else { throw missing }
        guard object.size == size else {
            throw HubError.badRequest("LFS object \(oid) has size \(object.size), the commit says \(size)")
        }
        if caller.isAdmin { return object }
        if let name = caller.name, try await database.isLFSUploader(sha256: oid, userName: name) { return object }
        for repo in try await database.reposHolding(sha256: oid) where caller.canRead(repo) { return object }
        throw missing
    }

    /// The LFS object `oid` if a commit of `repo` holds it: a download names the repo it reads through,
    /// so knowing an object's hash does not open it.
    private func lfsObject(_ oid: String, in repo: RepoRecord) async throws -> LFSObjectRecord? {
        guard Hex.isLowercase(oid, count: 64), let object = try await database.lfsObject(sha256: oid),
              try await database.reposHolding(sha256: oid).contains(where: { $0.id == repo.id }) else { return nil }
        return object
    }

    /// `GET /hub-lfs/objects/{type}/{ns}/{name}/{oid}`: an LFS object of a repo the caller may read.
    func download(_ type: RepoType, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        do {
            let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
            let oid = (context.parameters.get("oid") ?? "").lowercased()
            let repo = try await repos.readable(type, ns, name, caller: context.caller)
            guard let object = try await lfsObject(oid, in: repo) else { throw HubError.entryNotFound(oid, commit: nil) }
            try await placement.ensureLocal(object.cid)
            var headers = HTTPFields()
            headers[.eTag] = "\"\(oid)\""
            headers[.contentType] = "application/octet-stream"
            headers[.acceptRanges] = "bytes"
            return responses.stream(cid: object.cid, size: object.size, headers: headers, request, kind: "lfs")
        } catch {
            throw HubError.from(error)
        }
    }

    func verify(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await HubRequestBody.decode(LFSObjectReference.self, request)
        guard let oid = body.oid, let size = body.size else { throw HubError.badRequest("verify needs {oid, size}") }
        guard let object = try await database.lfsObject(sha256: oid), object.size == size, try await placement.isStored(object.cid) else {
            throw HubError(.notFound, code: .entryNotFound, "LFS object \(oid) of \(size) bytes is not stored")
        }
        if let name = caller.name, !caller.isAdmin, !(try await database.isLFSUploader(sha256: oid, userName: name)) {
            throw HubError.forbidden("LFS object \(oid) was not uploaded by \(name)")
        }
        return JSONResponse.make(encodingOrEmpty: LFSObjectReference(oid: oid, size: size))
    }

    // MARK: signed upload URLs

    func signature(oid: String, size: Int64, user: String, expiry: Int64) -> String {
        let message = Array("lfs-upload\n\(oid)\n\(size)\n\(user)\n\(expiry)".utf8)
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: signingSecret)))
    }

    /// Checks the query's `u`, `e`, `s` and returns the uploader.
    func verifiedUploader(_ request: Request, oid: String, size: Int64) throws -> String {
        let q = request.uri.queryParameters
        guard let user = q["u"].map({ String($0).removingPercentEncoding ?? String($0) }),
              let expiry = q["e"].flatMap({ Int64($0) }), let sig = q["s"].map(String.init) else {
            throw HubError.forbidden("This upload URL is not signed")
        }
        guard expiry >= Int64(Date().timeIntervalSince1970) else { throw HubError.forbidden("This upload URL has expired; ask for a new one") }
        let expected = signature(oid: oid, size: size, user: user, expiry: expiry)
        guard sig.utf8.count == expected.utf8.count, zip(sig.utf8, expected.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw HubError.forbidden("This upload URL's signature does not match")
        }
        return user
    }
}

/// One object of an LFS batch upload request after checking: refused (a 422 entry) or to upload.
package enum LFSBatchObject: Equatable {
    case invalid(oid: String, size: Int64, message: String)
    case upload(oid: String, size: Int64)
}
