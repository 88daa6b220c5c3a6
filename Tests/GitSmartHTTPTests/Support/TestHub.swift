import Foundation
import GitSmartHTTP

/// Records what the server saw, so tests can assert on the protocol the real
/// client actually used rather than on anything our code reports about itself.
actor RequestLog {
    struct Entry: Sendable {
        var method: String
        var path: String
        var service: String?
        var gitProtocol: String?
        var contentEncoding: String?
        var transferEncoding: String?
        var status: Int
        /// Decoded request body, kept for receive-pack only.
        var pushBody: [UInt8]?
    }
    private(set) var entries: [Entry] = []
    func add(_ e: Entry) { entries.append(e) }
}

/// A repository whose advertisement is frozen at some earlier state while
/// pushes go to the live repository: reproduces "someone else pushed between
/// your fetch and your push" deterministically.
final class FrozenRefsRepository: GitRepository, @unchecked Sendable {
    let inner: InMemoryRepository
    private let lock = NSLock()
    private var frozen: RefSnapshot?

    init(inner: InMemoryRepository) { self.inner = inner }

    func freeze(_ s: RefSnapshot) { lock.withLock { frozen = s } }

    func refs() async throws -> RefSnapshot {
        if let f = lock.withLock({ frozen }) { return f }
        return try await inner.refs()
    }
    func object(_ id: ObjectID) async throws -> GitObject? { try await inner.object(id) }
    func receive(_ push: PushRequest) async throws -> [RefUpdateResult] { try await inner.receive(push) }
}

/// The stand-in hub: an HTTP server routing /{ns}/{name} and
/// /datasets/{ns}/{name} to repositories, requiring a token for pushes.
final class TestHub: @unchecked Sendable {
    static let user = "hf_user"
    static let token = "secret-token"

    let repositories: [String: any GitRepository]
    let log = RequestLog()
    private var server: MiniHTTPServer!

    init(repositories: [String: any GitRepository]) throws {
        self.repositories = repositories
        let service = GitHTTPService()
        let repos = repositories
        let log = self.log
        let expectedAuth = "Basic " + Data("\(TestHub.user):\(TestHub.token)".utf8).base64EncodedString()
        server = try MiniHTTPServer { req in
            let response: MiniHTTPServer.Response
            if let (repoPath, endpoint) = GitEndpoint.split(path: req.path), let repo = repos[repoPath] {
                let gitReq = GitHTTPRequest(method: req.method, endpoint: endpoint, query: req.query,
                                            headers: req.headers, body: req.body)
                if GitHTTPService.requiresWriteAccess(gitReq), req.headers["authorization"] != expectedAuth {
                    response = .init(status: 401, headers: ["WWW-Authenticate": "Basic realm=\"hub\"", "Content-Type": "text/plain"],
                                     body: Array("authentication required\n".utf8))
                } else {
                    let r = await service.handle(gitReq, repository: repo)
                    response = .init(status: r.status, headers: r.headers, body: r.body)
                }
            } else {
                response = .init(status: 404, headers: ["Content-Type": "text/plain"], body: Array("not found\n".utf8))
            }
            await log.add(.init(method: req.method, path: req.path, service: req.query["service"],
                                gitProtocol: req.headers["git-protocol"], contentEncoding: req.headers["content-encoding"],
                                transferEncoding: req.headers["transfer-encoding"], status: response.status,
                                pushBody: req.path.hasSuffix("git-receive-pack") ? req.body : nil))
            return response
        }
    }

    deinit { server.stop() }
    func stop() { server.stop() }

    var base: String { "http://127.0.0.1:\(server.port)" }
    var authedBase: String { "http://\(TestHub.user):\(TestHub.token)@127.0.0.1:\(server.port)" }
}

/// Seed content, written by the test through our object code and later
/// compared with what the real git client checked out.
enum Seed {
    static let lfsPointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"
    static let firstFiles: [String: (String, FileMode)] = [
        "README.md": ("# Test model\n", .regular),
    ]
    static let secondFiles: [String: (String, FileMode)] = [
        "README.md": ("# Test model\n\nNow with weights.\n", .regular),
        ".gitattributes": ("*.safetensors filter=lfs diff=lfs merge=lfs -text\n", .regular),
        "config.json": ("{\"hidden_size\": 8}\n", .regular),
        "model.safetensors": (lfsPointer, .regular),
        "scripts/run.sh": ("#!/bin/sh\necho run\n", .executable),
        "tokenizer/vocab/vocab.txt": ("a\nb\nc\n", .regular),
        "notes/long.md": (longText, .regular),
    ]
    /// Large enough that git deltas an edited version against it.
    static let longText = (0..<2000).map { "Line \($0): the quick brown fox jumps over the lazy dog.\n" }.joined()

    /// Two commits on refs/heads/main; returns their ids (oldest first).
    @discardableResult
    static func populate(_ repo: InMemoryRepository) async throws -> [ObjectID] {
        var parent: ObjectID?
        var ids: [ObjectID] = []
        for (i, files) in [firstFiles, secondFiles].enumerated() {
            var entries: [TreeBuilder.FileEntry] = []
            for (path, (content, mode)) in files {
                let id = await repo.store(.blob(Array(content.utf8)))
                entries.append(.init(path: path, mode: mode, id: id))
            }
            let tree = try TreeBuilder.build(entries)
            for t in tree.trees.values { await repo.store(t) }
            let sig = Signature(name: "Hub", email: "hub@example.com", time: 1_700_000_000 + Int64(i) * 60, timezone: "+0100")
            let commit = Commit(tree: tree.rootID, parents: parent.map { [$0] } ?? [], author: sig, committer: sig,
                                message: "seed commit \(i + 1)\n")
            let id = await repo.store(commit.object)
            ids.append(id)
            parent = id
        }
        await repo.setRef("refs/heads/main", ids.last!)
        return ids
    }
}
