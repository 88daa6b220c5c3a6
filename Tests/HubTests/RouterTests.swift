import BlockStore
import Foundation
import Hub
import HubDatabase
import Hummingbird
import HummingbirdTesting
import Testing

/// In-process HTTP tests of the hub's routes (no socket).
struct HubFixture {
    let server: HubServer
    let database: HubDatabase
    let token: String

    static func make(uploadMode: UploadMode = .regularOnly) async throws -> HubFixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubhttp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = try await HubDatabase.sqlite(path: dir.appendingPathComponent("hub.sqlite").path)
        _ = try await db.createUser(name: "alice", isAdmin: false)
        let (token, hash) = HubDatabase.newToken()
        _ = try await db.createToken(userName: "alice", displayName: "t", canWrite: true, tokenSHA256: hash)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("blocks"), withIntermediateDirectories: true)
        let blocks = try FlatFSBlockStore(root: dir.appendingPathComponent("blocks"))
        let server = HubServer(database: db, content: try ContentStore(blocks: blocks, tmpDirectory: dir.appendingPathComponent("tmp")), uploadMode: uploadMode,
                               signingSecret: Array(repeating: 7, count: 32))
        return HubFixture(server: server, database: db, token: token)
    }

    func app() -> some ApplicationProtocol {
        let router = Router()
        server.addRoutes(to: router)
        return Application(router: router)
    }

    var auth: HTTPFields { [.authorization: "Bearer \(token)"] }
}

/// A header by name, case-insensitively.
func header(_ fields: HTTPFields, _ name: String) -> String? {
    fields.first { $0.name.rawName.lowercased() == name.lowercased() }?.value
}

func ndjson(_ lines: [String]) -> ByteBuffer { ByteBuffer(string: lines.joined(separator: "\n") + "\n") }

@Suite struct RouterTests {
    @Test("Kubo's /api/v0/ prefix is left to the Kubo RPC routes")
    func kuboPrefixNotCaptured() async throws {
        let hub = try await HubFixture.make()
        try await hub.app().test(.router) { client in
            try await client.execute(uri: "/api/v0/version", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(header(response.headers, "X-Error-Code") == nil)
            }
        }
    }

    @Test("Upload through a commit, then resolve with git's blob sha1 as ETag and byte ranges")
    func commitThenResolve() async throws {
        let hub = try await HubFixture.make()
        try await hub.app().test(.router) { client in
            try await client.execute(uri: "/api/repos/create", method: .post, headers: hub.auth,
                                     body: ByteBuffer(string: #"{"name":"m","organization":"alice"}"#)) { response in
                #expect(response.status == .ok)
            }
            // "hello world\n" in base64, split so that the content and path order match the client's.
            let commit = ndjson([#"{"key":"header","value":{"summary":"add","description":""}}"#,
                                 #"{"key":"file","value":{"content":"aGVsbG8gd29ybGQK","path":"dir/hello.txt","encoding":"base64"}}"#])
            var commitID = ""
            try await client.execute(uri: "/api/models/alice/m/commit/main", method: .post, headers: hub.auth, body: commit) { response in
                #expect(response.status == .ok)
                let obj = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                commitID = obj?["commitOid"] as? String ?? ""
            }
            #expect(commitID.count == 40)
            try await client.execute(uri: "/alice/m/resolve/main/dir/hello.txt", method: .head) { response in
                #expect(response.status == .ok)
                // Ground truth: `printf 'hello world\n' | git hash-object --stdin`
                #expect(response.headers[.eTag] == "\"3b18e512dba79e4c8300dd08aeb37f8e728b8dad\"")
                #expect(response.headers[.contentLength] == "12")
                #expect(header(response.headers, "X-Repo-Commit") == commitID)
            }
            try await client.execute(uri: "/alice/m/resolve/\(commitID)/dir/hello.txt", method: .get, headers: [.range: "bytes=6-10"]) { response in
                #expect(response.status == .partialContent)
                #expect(String(buffer: response.body) == "world")
                #expect(response.headers[.contentRange] == "bytes 6-10/12")
            }
            try await client.execute(uri: "/alice/m/resolve/main/dir/hello.txt", method: .get, headers: [.range: "bytes=12-"]) { response in
                #expect(response.status == .rangeNotSatisfiable)
            }
            try await client.execute(uri: "/api/models/alice/m/tree/main?recursive=true", method: .get) { response in
                let entries = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]] ?? []
                #expect(entries.map { $0["path"] as? String } == ["dir", "dir/hello.txt"])
            }
        }
    }

    @Test("Path traversal in a commit is refused with 400 and nothing lands")
    func pathTraversalRefused() async throws {
        let hub = try await HubFixture.make()
        try await hub.app().test(.router) { client in
            _ = try await client.execute(uri: "/api/repos/create", method: .post, headers: hub.auth, body: ByteBuffer(string: #"{"name":"m"}"#))
            for path in ["../x", "/abs", "a/./b", "nul\\u0000x"] {
                let commit = ndjson([#"{"key":"header","value":{"summary":"bad"}}"#,
                                     #"{"key":"file","value":{"content":"eA==","path":"\#(path)","encoding":"base64"}}"#])
                try await client.execute(uri: "/api/models/alice/m/commit/main", method: .post, headers: hub.auth, body: commit) { response in
                    #expect(response.status == .badRequest, "\(path)")
                }
            }
            try await client.execute(uri: "/api/models/alice/m/tree/main", method: .get) { response in
                #expect(String(buffer: response.body) == "[]")
            }
        }
    }

    @Test("Private repos answer 404 RepoNotFound without a token")
    func privateRepoInvisible() async throws {
        let hub = try await HubFixture.make()
        try await hub.app().test(.router) { client in
            _ = try await client.execute(uri: "/api/repos/create", method: .post, headers: hub.auth,
                                         body: ByteBuffer(string: #"{"name":"secret","visibility":"private","type":"dataset"}"#))
            try await client.execute(uri: "/api/datasets/alice/secret", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(header(response.headers, "X-Error-Code") == "RepoNotFound")
            }
            try await client.execute(uri: "/api/datasets/alice/secret", method: .get, headers: hub.auth) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
