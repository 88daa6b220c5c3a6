import Crypto
import Foundation
import HTTPSupport
import Hummingbird
import HubDatabase
import NIOCore
import Primitives

/// Uploads to signed URLs: one PUT per object, or parts of `multipartChunk` bytes kept as files
/// until the completion request stores them as one object.
extension LFSController {
    func upload(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let (oid, size) = try uploadTarget(context)
        let user = try verifiedUploader(request, oid: oid, size: size)
        try await storeObject(oid: oid, size: size, uploader: user, from: request.body)
        return Response(status: .ok, headers: [.contentLength: "0"])
    }

    func uploadPart(_ request: Request, _ context: HubRequestContext) async throws -> Response {
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

    func completeMultipart(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let (oid, size) = try uploadTarget(context)
        let user = try verifiedUploader(request, oid: oid, size: size)
        let listed = try await HubRequestBody.decode(LFSCompletionRequest.self, request).partNumbers
        let parts = Self.multipartPartCount(size: size)
        guard listed.sorted() == Array(1...max(parts, 1)) || (parts == 0 && listed.isEmpty) else {
            throw HubError.badRequest("Completion must list parts 1...\(parts)")
        }
        let dir = partsDirectory(oid: oid, user: user)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = (1...max(parts, 1)).map { dir.appendingPathComponent(String($0)) }
        for f in files where !FileManager.default.fileExists(atPath: f.path) {
            throw HubError.badRequest("Part \(f.lastPathComponent) was not uploaded")
        }
        try await storeObject(oid: oid, size: size, uploader: user,
                              from: FileChunks(files, chunkSize: ContentStore.chunkSize).map { ByteBuffer(bytes: $0) })
        return JSONResponse.make(encodingOrEmpty: LFSObjectReference(oid: oid, size: size))
    }

    /// Stores bytes from `source` as the LFS object `oid`, checking size and sha256 before recording it.
    func storeObject<S: AsyncSequence>(oid: String, size: Int64, uploader: String, from source: S) async throws
    where S.Element == ByteBuffer {
        let writing = content.blocks.beginWrite()   // until the object is recorded: a gc meanwhile spares its blocks
        defer { writing.end() }
        // Hashing and block writes run on the writer's own threads, never on the cooperative pool.
        let writer = PipelinedContentWriter(store: content, expectedSize: size, treeBlob: .lfsPointer)
        var received: Int64 = 0
        var batches = ChunkBatches()
        do {
            for try await buffer in source {
                received += Int64(buffer.readableBytes)
                guard received <= size else {
                    throw HubError.badRequest("Upload is larger than the announced \(size) bytes")
                }
                if let batch = batches.add(buffer) { try await writer.append(batch) }
            }
            if let batch = batches.rest() { try await writer.append(batch) }
            guard received == size else {
                throw HubError.badRequest("Upload ended after \(received) of \(size) bytes")
            }
            let stored = try await writer.finish()
            guard stored.sha256 == oid else {
                throw HubError.badRequest("Uploaded bytes hash to \(stored.sha256), not \(oid)")
            }
            try await database.putLFSObject(LFSObjectRecord(sha256: oid, size: size, cid: stored.cid), uploader: uploader)
        } catch {
            writer.abort()
            throw error
        }
    }

    private func uploadTarget(_ context: HubRequestContext) throws -> (String, Int64) {
        let oid = (context.parameters.get("oid") ?? "").lowercased()
        guard Hex.isLowercase(oid, count: 64), let size = context.parameters.get("size").flatMap({ Int64($0) }), size >= 0,
              size <= Self.maxObjectSize else {
            throw HubError.badRequest("Upload URL must name a sha256 oid and a size of at most \(Self.maxObjectSize) bytes")
        }
        return (oid, size)
    }

    private func partsDirectory(oid: String, user: String) -> URL {
        content.tmp.appendingPathComponent("lfs-parts-\(oid)-\(sha256Hex(Array(user.utf8)).prefix(16))")
    }
}
