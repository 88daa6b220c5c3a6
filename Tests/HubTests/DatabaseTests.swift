import Foundation
import HubDatabase
import Testing

/// Both backends: SQLite always; PostgreSQL against the server in HUB_TEST_POSTGRES_URL (scripts/test sets it).
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["HUB_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    static var available: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    func open() async throws -> HubDatabase {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubdb-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return try await HubDatabase.sqlite(path: dir.appendingPathComponent("hub.sqlite").path)
        case .postgres:
            return try await HubDatabase.postgres(url: Backend.postgresURL!)
        }
    }

    /// Two connections to one database, as two hub processes have.
    func openTwice() async throws -> (HubDatabase, HubDatabase) {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubdb-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("hub.sqlite").path
            return (try await HubDatabase.sqlite(path: path), try await HubDatabase.sqlite(path: path))
        case .postgres:
            return (try await open(), try await open())
        }
    }
}

/// Names unique per test run, so PostgreSQL tests sharing one database do not collide.
func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }

func newCommit(_ repoID: String, _ title: String) -> CommitRecord {
    var bytes = [UInt8](repeating: 0, count: 20)
    for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
    let id = bytes.map { String(format: "%02x", $0) }.joined()
    return CommitRecord(id: id, repoID: repoID, parentID: nil, title: title, message: "", author: "t", createdAt: Int64(Date().timeIntervalSince1970))
}

func file(_ path: String, _ tag: String) -> FileRecord {
    FileRecord(path: path, size: Int64(tag.count), gitOID: String(repeating: "1", count: 40),
               sha256: String(repeating: tag.first == "a" ? "a" : "b", count: 64), isLFS: false, cid: "cid-\(tag)")
}

@Suite struct DatabaseTests {
    @Test("Users and tokens: tokens are looked up by SHA-256, duplicates refused", arguments: Backend.available)
    func usersAndTokens(backend: Backend) async throws {
        let db = try await backend.open()
        let name = unique("user")
        let user = try await db.createUser(name: name, isAdmin: false)
        #expect(user.name == name)
        await #expect(throws: HubDatabaseError.alreadyExists("user '\(name)'")) { try await db.createUser(name: name, isAdmin: true) }
        let (token, hash) = HubDatabase.newToken()
        #expect(token.hasPrefix("hf_") && token.count == 37)
        // Ground truth: SHA-256 of "abc" (FIPS 180-2 test vector).
        #expect(HubDatabase.tokenSHA256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        _ = try await db.createToken(userName: name, displayName: "t", canWrite: true, tokenSHA256: hash)
        let found = try await db.token(sha256: hash)
        #expect(found?.1.name == name && found?.0.canWrite == true)
        #expect(try await db.token(sha256: HubDatabase.tokenSHA256(token + "x")) == nil)
        await #expect(throws: HubDatabaseError.self) {
            try await db.createToken(userName: unique("ghost"), displayName: "t", canWrite: false, tokenSHA256: "x")
        }
        await db.close()
    }

    @Test("Commits are atomic, keep history and refuse a stale parent", arguments: Backend.available)
    func commitsAreAtomic(backend: Backend) async throws {
        let db = try await backend.open()
        let ns = unique("ns")
        let initial = newCommit(unique("repo"), "initial")
        let repo = try await db.createRepo(type: .model, namespace: ns, name: "r", isPrivate: false, initialCommit: initial)
        let head0 = try #require(try await db.resolve(repoID: repo.id, revision: "main"))
        #expect(head0.id == initial.id)
        let c1 = try await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: head0.id, commit: newCommit(repo.id, "one"),
                                          changes: [.put(file("a.txt", "a1")), .put(file("dir/b.txt", "b1")), .put(file("dir/c.txt", "b2"))])
        #expect(c1.parentID == initial.id)
        #expect(try await db.files(commitID: c1.id).map(\.path) == ["a.txt", "dir/b.txt", "dir/c.txt"])
        // Deleting a missing path fails the whole commit: nothing of it lands.
        await #expect(throws: HubDatabaseError.notFound("missing.txt")) {
            try await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: nil, commit: newCommit(repo.id, "bad"),
                                     changes: [.put(file("new.txt", "a")), .delete(path: "missing.txt")])
        }
        #expect(try await db.resolve(repoID: repo.id, revision: "main")?.id == c1.id)
        // A stale parent is refused.
        await #expect(throws: HubDatabaseError.parentMismatch(expected: head0.id, actual: c1.id)) {
            try await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: head0.id, commit: newCommit(repo.id, "stale"), changes: [])
        }
        let c2 = try await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: nil, commit: newCommit(repo.id, "two"),
                                          changes: [.deleteFolder(prefix: "dir/")])
        #expect(try await db.files(commitID: c2.id).map(\.path) == ["a.txt"])
        #expect(try await db.file(commitID: c2.id, path: "a.txt")?.lastCommitID == c1.id)
        #expect(try await db.history(fromCommit: c2.id, limit: 10).map(\.title) == ["two", "one", "initial"])
        // Old revisions stay readable by id.
        #expect(try await db.resolve(repoID: repo.id, revision: c1.id)?.id == c1.id)
        await db.close()
    }

    @Test("Concurrent commits on one branch: exactly one wins", arguments: Backend.available)
    func concurrentCommits(backend: Backend) async throws {
        let db = try await backend.open()
        let initial = newCommit(unique("repo"), "initial")
        let repo = try await db.createRepo(type: .dataset, namespace: unique("ns"), name: "r", isPrivate: false, initialCommit: initial)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<4 {
                group.addTask {
                    (try? await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: initial.id,
                                               commit: newCommit(repo.id, "c\(i)"), changes: [.put(file("f\(i)", "a"))])) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        await db.close()
    }

    @Test("Concurrent commits without a parent all land, one after another", arguments: Backend.available)
    func concurrentCommitsWithoutParentAllLand(backend: Backend) async throws {
        // Two handles on one database stand for two hub processes.
        let (a, b) = try await backend.openTwice()
        let initial = newCommit(unique("repo"), "initial")
        let repo = try await a.createRepo(type: .model, namespace: unique("ns"), name: "r", isPrivate: false, initialCommit: initial)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<12 {
                let db = i % 2 == 0 ? a : b
                group.addTask {
                    try await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: nil,
                                             commit: newCommit(repo.id, "c\(i)"), changes: [.put(file("f\(i)", "\(i)"))])
                }
            }
            try await group.waitForAll()
        }
        let head = try #require(try await b.resolve(repoID: repo.id, revision: "main"))
        let history = try await b.history(fromCommit: head.id, limit: 100)
        #expect(history.count == 13)
        #expect(Set(history.map(\.title)) == Set((0..<12).map { "c\($0)" } + ["initial"]))
        #expect(try await a.files(commitID: head.id).map(\.path).sorted() == (0..<12).map { "f\($0)" }.sorted())
        await a.close()
        await b.close()
    }

    @Test("Transactions cut short by task cancellation are closed; the next transaction starts", arguments: Backend.available)
    func cancelledTransactionsAreClosed(backend: Backend) async throws {
        let db = try await backend.open()
        for i in 0..<400 {
            let task = Task { try await db.claimLease(key: "k\(i)-\(UUID().uuidString)", owner: "o", ttlMillis: 1000) }
            for _ in 0..<(i % 4) { await Task.yield() }  // cancel at different points of the transaction
            task.cancel()
            _ = await task.result
        }
        // Before the fix a cancelled task left BEGIN open: "cannot start a transaction within a transaction".
        #expect(try await db.claimLease(key: unique("after"), owner: "o", ttlMillis: 1000))
        await db.close()
    }

    @Test("Private repos are listed only for their namespace; pull requests get refs/pr/N", arguments: Backend.available)
    func visibilityAndPullRequests(backend: Backend) async throws {
        let db = try await backend.open()
        let ns = unique("owner")
        let pub = try await db.createRepo(type: .model, namespace: ns, name: "pub", isPrivate: false, initialCommit: newCommit(unique("r"), "i"))
        _ = try await db.createRepo(type: .model, namespace: ns, name: "priv", isPrivate: true, initialCommit: newCommit(unique("r"), "i"))
        let anon = try await db.listRepos(type: .model, author: ns, search: nil, limit: 10, offset: 0, viewerNamespaces: [], allPrivate: false)
        #expect(anon.map(\.name) == ["pub"])
        let owner = try await db.listRepos(type: .model, author: ns, search: nil, limit: 10, offset: 0, viewerNamespaces: [ns], allPrivate: false)
        #expect(Set(owner.map(\.name)) == ["pub", "priv"])
        let searched = try await db.listRepos(type: .model, author: nil, search: "\(ns)/PR", limit: 10, offset: 0, viewerNamespaces: [ns], allPrivate: false)
        #expect(searched.map(\.name) == ["priv"])
        let pr = try await db.createDiscussion(repoID: pub.id, title: "t", description: "", author: ns, isPullRequest: true)
        #expect(pr.num == 1)
        #expect(try await db.refs(repoID: pub.id).map(\.name).sorted() == ["main", "refs/pr/1"])
        let second = try await db.createDiscussion(repoID: pub.id, title: "t2", description: "", author: ns, isPullRequest: false)
        #expect(second.num == 2)
        await db.close()
    }

    @Test("LFS objects remember who uploaded them and which repos hold them", arguments: Backend.available)
    func lfsOwnership(backend: Backend) async throws {
        let db = try await backend.open()
        let sha = String(repeating: "c", count: 56) + String(UUID().uuidString.prefix(8)).lowercased()
        let uploader = unique("up")
        try await db.putLFSObject(LFSObjectRecord(sha256: sha, size: 5, cid: "cid-x"), uploader: uploader)
        try await db.putLFSObject(LFSObjectRecord(sha256: sha, size: 5, cid: "cid-x"), uploader: uploader)
        #expect(try await db.lfsObject(sha256: sha)?.size == 5)
        #expect(try await db.isLFSUploader(sha256: sha, userName: uploader))
        #expect(try await !db.isLFSUploader(sha256: sha, userName: unique("other")))
        #expect(try await db.reposHolding(sha256: sha).isEmpty)
        let repo = try await db.createRepo(type: .model, namespace: unique("ns"), name: "r", isPrivate: true, initialCommit: newCommit(unique("r"), "i"))
        var f = file("w.bin", "a")
        f.sha256 = sha; f.isLFS = true; f.cid = "cid-lfs-\(sha.suffix(8))"
        try await db.applyCommit(repoID: repo.id, ref: "main", expectedHead: nil, commit: newCommit(repo.id, "lfs"), changes: [.put(f)])
        #expect(try await db.reposHolding(sha256: sha).map(\.id) == [repo.id])
        #expect(try await !db.isPubliclyReachable(cid: f.cid))
        try await db.setPrivate(id: repo.id, isPrivate: false)
        #expect(try await db.isPubliclyReachable(cid: f.cid))
        await db.close()
    }
}

@Suite struct RetentionTests {
    @Test func anUnreadableMirrorTableStopsGCInsteadOfReadingAsEmpty() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("hub.sqlite").path
        var db = try await HubDatabase.sqlite(path: path)
        #expect(try await db.referencedCIDs().isEmpty)
        await db.close()
        // A fallback table that cannot be read (here: damaged to lack its cid column) must be an error:
        // before, any error here read as "nothing mirrored" and gc deleted the mirrored content.
        let damage = Process()
        damage.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        damage.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DROP TABLE IF EXISTS fallback_files'); c.execute('CREATE TABLE fallback_files (x TEXT)'); c.commit()", path]
        try damage.run()
        damage.waitUntilExit()
        #expect(damage.terminationStatus == 0)
        db = try await HubDatabase.sqlite(path: path)
        await #expect(throws: (any Error).self) { try await db.referencedCIDs() }
        await db.close()
    }

    @Test func generatedSecretsUseTheWholeAlphabetEvenly() {
        // 62 symbols from bytes by modulo would favour the first 8 (256 = 4 * 62 + 8); rejection does not.
        var counts = [Character: Int]()
        for _ in 0..<2000 { for ch in HubDatabase.randomLettersAndDigits(62) { counts[ch, default: 0] += 1 } }
        #expect(counts.count == 62)
        let expected = 2000.0
        // Each symbol's count is binomial(124000, 1/62): sd ~ 44. The modulo bias would put 'A'..'H' ~ +290.
        let low = counts.filter { "ABCDEFGH".contains($0.key) }.map(\.value).reduce(0, +)
        #expect(abs(Double(low) / 8 - expected) < 150)
    }
}
