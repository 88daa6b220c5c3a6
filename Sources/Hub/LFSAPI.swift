import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HubDatabase
import NIOCore
import Primitives

/// The git-lfs batch API with basic and multipart transfers. Upload URLs carry their own
/// authorisation (an HMAC over object, size, uploader and expiry), never a token.
extension HubServer {
    static let multipartThreshold: Int64 = 64 * 1024 * 1024
    static let multipartChunk: Int64 = 16 * 1024 * 1024
    static let uploadURLLifetime: Int64 = 24 * 3600
    /// The largest object a batch upload is offered for: multipart's 10000 parts of `multipartChunk`
    /// (156 GiB). Larger sizes would overflow the part arithmetic and list billions of part URLs.
    package static let maxLFSObjectSize: Int64 = 10_000 * multipartChunk

    /// The number of `multipartChunk` parts of an object of `size` bytes (0 for an empty one).
    package static func multipartPartCount(size: Int64) -> Int64 {
        size / multipartChunk + (size % multipartChunk == 0 ? 0 : 1)
    }

    /// The objects of an LFS batch upload request, each checked, and the client's transfers.
    package static func lfsBatchUploadObjects(_ body: [String: Any]) throws -> (objects: [LFSBatchObject], transfers: [String]) {
        guard let objects = body["objects"] as? [[String: Any]], objects.count <= 10_000 else {
            throw HubError.badRequest("'objects' must be a list of at most 10000 {oid, size}")
        }
        let transfers = body["transfers"] as? [String] ?? ["basic"]
        return (objects.map { obj in
            let oid = (obj["oid"] as? String ?? "").lowercased()
            let size = (obj["size"] as? NSNumber)?.int64Value ?? -1
            guard Hex.isLowercase(oid, count: 64), size >= 0 else {
                return .invalid(oid: oid, size: max(size, 0), message: "oid must be 64 hex digits and size >= 0")
            }
            guard size <= maxLFSObjectSize else {
                return .invalid(oid: oid, size: size, message: "size is over the hub's limit of \(maxLFSObjectSize) bytes")
            }
            return .upload(oid: oid, size: size)
        }, transfers)
    }

    /// The `header` of a multipart upload action (chunk size and one URL per part), or nil when the
    /// object goes in one PUT. `size` must be at most `maxLFSObjectSize`.
    package static func multipartUploadHeader(href: String, query: String, size: Int64, transfers: [String]) -> [String: String]? {
        guard size > multipartThreshold, size <= maxLFSObjectSize, transfers.contains("multipart") else { return nil }
        var header: [String: String] = ["chunk_size": String(multipartChunk)]
        for n in 1...multipartPartCount(size: size) { header[String(n)] = "\(href)/\(n)?\(query)" }
        return header
    }

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

    func lfsBatch(_ type: RepoType, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        // git-lfs authenticates like git (Basic, the token as password); huggingface_hub with Bearer.
        let caller = context.caller
        let ns = decoded(context.parameters.get("ns") ?? ""), name = decoded(context.parameters.get("name") ?? "")
        let body = try await jsonBody(request)
        let operation = body["operation"] as? String ?? "upload"
        if operation == "download" { return try await lfsBatchDownload(type, ns, name, body, request, caller) }
        guard operation == "upload" else {
            throw HubError.badRequest("The LFS batch operation must be 'upload' or 'download', not '\(operation)'")
        }
        _ = try await writableRepo(type, ns, name, caller: caller)
        guard let user = caller.name else { throw HubError.unauthorized("LFS uploads need a write token") }
        let (objects, transfers) = try Self.lfsBatchUploadObjects(body)
        let base = origin(request)
        let expiry = Int64(Date().timeIntervalSince1970) + Self.uploadURLLifetime
        var answer: [[String: Any]] = []
        for obj in objects {
            let oid: String, size: Int64
            switch obj {
            case .invalid(let o, let s, let message):
                answer.append(["oid": o, "size": s, "error": ["code": 422, "message": message]])
                continue
            case .upload(let o, let s):
                (oid, size) = (o, s)
            }
            // The record alone is not enough: hubs sharing a database may not share a store, so the
            // bytes must be here (or on the store backend) before the client is told to skip the upload.
            if let object = try await database.lfsObject(sha256: oid), try await isStored(object.cid),
               (try? await attachableLFSObject(oid: oid, size: size, caller: caller, path: oid)) != nil {
                answer.append(["oid": oid, "size": size])  // already here and this caller may use it
                continue
            }
            let query = "u=\(PercentEncoding.encode(user))&e=\(expiry)&s=\(signature(oid: oid, size: size, user: user, expiry: expiry))"
            let href = "\(base)/hub-lfs/upload/\(oid)/\(size)"
            var upload: [String: Any] = ["href": "\(href)?\(query)", "expires_in": Self.uploadURLLifetime]
            if let header = Self.multipartUploadHeader(href: href, query: query, size: size, transfers: transfers) {
                upload["header"] = header
            }
            answer.append(["oid": oid, "size": size, "authenticated": true,
                           "actions": ["upload": upload, "verify": ["href": "\(base)/hub-lfs/verify"]]])
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.git-lfs+json"
        var response = json(["transfer": "basic", "objects": answer, "hash_algo": "sha256"], headers: headers)
        response.headers[.contentType] = "application/vnd.git-lfs+json"
        return response
    }

    func uploadTarget(_ context: HubRequestContext) throws -> (String, Int64) {
        let oid = (context.parameters.get("oid") ?? "").lowercased()
        guard Hex.isLowercase(oid, count: 64), let size = context.parameters.get("size").flatMap({ Int64($0) }), size >= 0,
              size <= Self.maxLFSObjectSize else {
            throw HubError.badRequest("Upload URL must name a sha256 oid and a size of at most \(Self.maxLFSObjectSize) bytes")
        }
        return (oid, size)
    }

    /// Stores bytes from `source` as the LFS object `oid`, checking size and sha256 before recording it.
    func storeLFSObject<S: AsyncSequence>(oid: String, size: Int64, uploader: String, from source: S) async throws
    where S.Element == ByteBuffer {
        let writing = content.blocks.beginWrite()   // until the object is recorded: a gc meanwhile spares its blocks
        defer { writing.end() }
        let writer = content.writer(expectedSize: size)
        do {
            for try await buffer in source {
                guard writer.count + Int64(buffer.readableBytes) <= size else {
                    throw HubError.badRequest("Upload is larger than the announced \(size) bytes")
                }
                try writer.append(buffer)
            }
            guard writer.count == size else {
                throw HubError.badRequest("Upload ended after \(writer.count) of \(size) bytes")
            }
            let stored = try writer.finish()
            guard stored.sha256 == oid else {
                throw HubError.badRequest("Uploaded bytes hash to \(stored.sha256), not \(oid)")
            }
            try await database.putLFSObject(LFSObjectRecord(sha256: oid, size: size, cid: stored.cid), uploader: uploader)
        } catch {
            writer.abort()
            throw error
        }
    }

    func lfsUpload(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let (oid, size) = try uploadTarget(context)
        let user = try verifiedUploader(request, oid: oid, size: size)
        try await storeLFSObject(oid: oid, size: size, uploader: user, from: request.body)
        return Response(status: .ok, headers: [.contentLength: "0"])
    }

    func partsDirectory(oid: String, user: String) -> URL {
        content.tmp.appendingPathComponent("lfs-parts-\(oid)-\(sha256Hex(Array(user.utf8)).prefix(16))")
    }

    func lfsUploadPart(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let (oid, size) = try uploadTarget(context)
        let user = try verifiedUploader(request, oid: oid, size: size)
        let parts = Self.multipartPartCount(size: size)
        guard let part = context.parameters.get("part").flatMap({ Int64($0) }), part >= 1, part <= parts else {
            throw HubError.badRequest("Part number must be between 1 and \(parts)")
        }
        let dir = partsDirectory(oid: oid, user: user)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent("\(part).tmp-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil), let handle = FileHandle(forWritingAtPath: tmp.path) else {
            throw HubError(.internalServerError, "Cannot store upload part")
        }
        var hasher = SHA256()
        var written: Int64 = 0
        do {
            defer { try? handle.close() }
            for try await buffer in request.body {
                written += Int64(buffer.readableBytes)
                guard written <= Self.multipartChunk else { throw HubError.badRequest("Part \(part) is larger than the chunk size") }
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try handle.write(contentsOf: buffer.readableBytesView)
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        guard rename(tmp.path, dir.appendingPathComponent(String(part)).path) == 0 else {
            throw HubError(.internalServerError, "Cannot store upload part")
        }
        let etag = Hex.encode(hasher.finalize())
        return Response(status: .ok, headers: [.eTag: "\"\(etag)\"", .contentLength: "0"])
    }

    func lfsCompleteMultipart(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let (oid, size) = try uploadTarget(context)
        let user = try verifiedUploader(request, oid: oid, size: size)
        let body = try await jsonBody(request)
        let parts = Self.multipartPartCount(size: size)
        let listed = (body["parts"] as? [[String: Any]] ?? []).compactMap { ($0["partNumber"] as? NSNumber)?.int64Value }
        guard listed.sorted() == Array(1...max(parts, 1)) || (parts == 0 && listed.isEmpty) else {
            throw HubError.badRequest("Completion must list parts 1...\(parts)")
        }
        let dir = partsDirectory(oid: oid, user: user)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = (1...max(parts, 1)).map { dir.appendingPathComponent(String($0)) }
        for f in files where !FileManager.default.fileExists(atPath: f.path) {
            throw HubError.badRequest("Part \(f.lastPathComponent) was not uploaded")
        }
        try await storeLFSObject(oid: oid, size: size, uploader: user, from: FileChunks(files, chunkSize: ContentStore.chunkSize).map { ByteBuffer(bytes: $0) })
        return json(["oid": oid, "size": size])
    }

    func lfsVerify(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await jsonBody(request)
        guard let oid = (body["oid"] as? String)?.lowercased(), let size = (body["size"] as? NSNumber)?.int64Value else {
            throw HubError.badRequest("verify needs {oid, size}")
        }
        guard let object = try await database.lfsObject(sha256: oid), object.size == size, try await isStored(object.cid) else {
            throw HubError(.notFound, code: .entryNotFound, "LFS object \(oid) of \(size) bytes is not stored")
        }
        if let name = caller.name, !caller.isAdmin, !(try await database.isLFSUploader(sha256: oid, userName: name)) {
            throw HubError.forbidden("LFS object \(oid) was not uploaded by \(name)")
        }
        return json(["oid": oid, "size": size])
    }
}

/// One object of an LFS batch upload request after checking: refused (a 422 entry) or to upload.
package enum LFSBatchObject: Equatable {
    case invalid(oid: String, size: Int64, message: String)
    case upload(oid: String, size: Int64)
}

