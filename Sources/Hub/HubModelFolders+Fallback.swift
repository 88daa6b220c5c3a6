import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Primitives
import Outbound

/// Models named by a repo id the hub does not hold, pulled through its fallback sources.
///
/// The files are fetched from this hub's own HTTP face (`hubURL`, loopback), exactly as
/// `huggingface_hub` would fetch them: the fallback's rules apply unchanged (allow/deny patterns,
/// single flight across processes, the mirror store, offline answers from mirrored copies), and
/// the request carries no credentials, so only what an anonymous client may read is loaded.
/// Only the files a model loader reads are fetched: JSON/text configs, tokenizers, top-level
/// safetensors, and one GGUF (Q4_K_M if there are several, as llama.cpp picks, else the first).
extension HubModelFolders {
    public func mirroredFolder(for repoID: String, hubURL: String) async throws -> URL? {
        guard let (ns, name, revision) = Self.parse(repoID) else { return nil }
        let base = "\(hubURL)/api/models/\(PercentEncoding.encode(ns))/\(PercentEncoding.encode(name))/revision/\(PercentEncoding.encode(revision))"
        let info = try await Self.get(base, timeout: .seconds(120))
        guard info.status == .ok else {
            if [.notFound, .unauthorized, .forbidden].contains(info.status) { return nil }
            throw HubModelFolderError.fallback("\(repoID): the hub answered \(info.status.code) for its revision info: \(String(buffer: info.body).prefix(300))")
        }
        guard let object = try? JSONDecoder().decode(RevisionInfo.self, from: Data(info.body.readableBytesView)),
              let commit = object.sha, Hex.isLowercase(commit, count: 40), let siblings = object.siblings else {
            throw HubModelFolderError.fallback("\(repoID): the revision info from the fallback has no commit or file list")
        }
        // The same rule as for local repos: the model server has its own keys and must not serve
        // a private repo's weights, even one the fallback source's token can read.
        if object.private == true { return nil }
        let target = root.appendingPathComponent("mirror-\(commit)", isDirectory: true)
        if FileManager.default.fileExists(atPath: target.path) { return target }
        let files = try Self.modelFiles(siblings.compactMap(\.rfilename))
        guard !files.isEmpty else { throw HubModelFolderError.fallback("\(repoID) has no model files (config.json, safetensors or GGUF)") }

        return try await materialize(target) { staging in
            for path in files {
                let url = "\(hubURL)/\(PercentEncoding.encode(ns))/\(PercentEncoding.encode(name))/resolve/\(commit)/"
                    + PercentEncoding.encodePath(path)
                try await Self.download(url, to: try Self.destination(of: path, in: staging), what: "\(repoID)/\(path)")
            }
        }
    }

    /// What `mirroredFolder` reads of a revision's info (`/api/models/{id}/revision/{rev}`), each
    /// field as absent when missing or of another type.
    private struct RevisionInfo: Decodable {
        struct Sibling: Decodable {
            var rfilename: String?
            private enum CodingKeys: String, CodingKey { case rfilename }
            init(from decoder: any Decoder) throws {
                rfilename = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .rfilename)
            }
        }
        var sha: String?
        var siblings: [Sibling]?
        var `private`: Bool?
        private enum CodingKeys: String, CodingKey { case sha, siblings, `private` }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sha = c.lenient(String.self, forKey: .sha)
            siblings = c.lenient([Sibling].self, forKey: .siblings)
            `private` = c.lenient(Bool.self, forKey: .private)
        }
    }

    /// The files of a repo a model loader reads, from its file list.
    package static func modelFiles(_ names: [String]) throws -> [String] {
        for name in names { try checkRelative(name) }
        let ggufs = names.filter { !$0.contains("/") && $0.lowercased().hasSuffix(".gguf") }.sorted()
        let gguf = ggufs.first { $0.lowercased().contains("q4_k_m") } ?? ggufs.first
        let skipped = ["onnx/", "openvino/", "coreml/", "tf/", "flax/"]
        return names.filter { name in
            let lower = name.lowercased(), top = !name.contains("/")
            if skipped.contains(where: lower.hasPrefix) { return false }
            if lower.hasSuffix(".gguf") { return name == gguf }
            if lower.hasSuffix(".safetensors") { return top }
            return [".json", ".txt", ".model", ".jinja"].contains(where: lower.hasSuffix)
        }.sorted()
    }

    private static func get(_ url: String, timeout: TimeAmount) async throws -> (status: HTTPResponseStatus, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "ipfs-accelerate-model-server/1")
        do {
            let response = try await OutboundHTTP.sources.execute(request, timeout: timeout)
            return (response.status, try await response.body.collect(upTo: UpstreamClient.maxMetadataBody))
        } catch {
            throw HubModelFolderError.fallback("\(url): \(TransportFailure(error).describe(peer: "the source"))")
        }
    }

    /// Streams one file into `destination`, checking its length and, for LFS files, its sha256
    /// (X-Linked-Etag) as huggingface_hub does. A redirect (the fallback's redirect mode) is
    /// followed once, without credentials (none are sent anyway).
    private static func download(_ url: String, to destination: URL, what: String) async throws {
        var location = url
        for _ in 0..<2 {
            var request = HTTPClientRequest(url: location)
            request.headers.add(name: "User-Agent", value: "ipfs-accelerate-model-server/1")
            request.headers.add(name: "Accept-Encoding", value: "identity")
            let response: HTTPClientResponse
            do {
                // Model files run to many GiB: a generous bound for the whole file, idle reads time out sooner.
                response = try await OutboundHTTP.sources.execute(request, timeout: .hours(6))
            } catch {
                throw HubModelFolderError.fallback("\(what): \(TransportFailure(error).describe(peer: "the source"))")
            }
            if (300..<400).contains(response.status.code), let next = response.headers.first(name: "Location") {
                location = next
                continue
            }
            guard response.status == .ok else {
                let body = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
                throw HubModelFolderError.fallback("\(what): the hub answered \(response.status.code): \(body.prefix(300))")
            }
            let expectedSize = (response.headers.first(name: "X-Linked-Size") ?? response.headers.first(name: "Content-Length")).flatMap { Int64($0) }
            let linked = response.headers.first(name: "X-Linked-Etag").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"W/")) }
            guard FileManager.default.createFile(atPath: destination.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: destination.path) else {
                throw HubModelFolderError.fallback("\(what): cannot write \(destination.path)")
            }
            defer { try? handle.close() }
            var hasher = SHA256()
            var written: Int64 = 0
            for try await buffer in response.body {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try handle.write(contentsOf: Data(buffer.readableBytesView))
                written += Int64(buffer.readableBytes)
            }
            try handle.synchronize()
            if let expectedSize, expectedSize != written {
                throw HubModelFolderError.fallback("\(what): got \(written) bytes, expected \(expectedSize)")
            }
            if let linked, Hex.isLowercase(linked, count: 64), Hex.encode(hasher.finalize()) != linked.lowercased() {
                throw HubModelFolderError.fallback("\(what): the content does not match its sha256 \(linked)")
            }
            return
        }
        throw HubModelFolderError.fallback("\(what): too many redirects")
    }
}
