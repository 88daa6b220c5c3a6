import Foundation
import Testing
import GitSmartHTTP

/// End-to-end tests with the real git client against our protocol engine
/// behind a loopback HTTP server. Serialized: each spawns git processes and
/// the machine has two cores.
@Suite(.serialized) struct GitClientTests {
    let home: String

    init() throws {
        home = try GitCLI.tempDir("home")
        // Identity for commits in clones; nothing else from the user config.
        try "[user]\n\tname = Tester\n\temail = tester@example.com\n[init]\n\tdefaultBranch = main\n"
            .write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
    }

    func git(_ args: String..., in dir: String) async throws -> GitResult {
        try await GitCLI.run(args, cwd: dir, env: ["HOME": home])
    }

    func git(_ args: [String], in dir: String) async throws -> GitResult {
        try await GitCLI.run(args, cwd: dir, env: ["HOME": home])
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func write(_ path: String, _ content: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func revParse(_ rev: String, in dir: String) async throws -> ObjectID {
        let r = try await git("rev-parse", rev, in: dir)
        return try #require(ObjectID(hex: r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r.stderr)")
    }

    /// `git ls-tree -r` of a commit in a local clone, as our FileEntry type.
    func lsTree(_ rev: String, in dir: String) async throws -> [TreeBuilder.FileEntry] {
        let r = try await git("ls-tree", "-r", "--full-tree", rev, in: dir)
        return r.stdout.split(separator: "\n").map { line in
            let tab = line.firstIndex(of: "\t")!
            let meta = line[..<tab].split(separator: " ")
            return TreeBuilder.FileEntry(path: String(line[line.index(after: tab)...]),
                                         mode: FileMode(rawValue: UInt32(meta[0], radix: 8)!), id: ObjectID(hex: meta[2])!)
        }.sorted { $0.path < $1.path }
    }

    func makeHub() async throws -> (TestHub, InMemoryRepository, [ObjectID]) {
        let repo = InMemoryRepository(protectedPrefixes: ["refs/heads/protected"])
        let ids = try await Seed.populate(repo)
        return (try TestHub(repositories: ["/acme/model": repo]), repo, ids)
    }

    @Test(arguments: [2, 1, 0])
    func cloneMatchesServerContent(protocolVersion: Int) async throws {
        let (hub, _, seedIDs) = try await makeHub()
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("clone-v\(protocolVersion)")
        let clone = try await git(["-c", "protocol.version=\(protocolVersion)", "clone", hub.base + "/acme/model", dir + "/w"], in: dir)
        #expect(clone.ok, "\(clone.stderr)")
        let w = dir + "/w"
        for (path, (content, mode)) in Seed.secondFiles {
            #expect(try read(w + "/" + path) == content, "\(path)")
            let perms = try FileManager.default.attributesOfItem(atPath: w + "/" + path)[.posixPermissions] as! Int
            #expect((perms & 0o100 != 0) == (mode == .executable), "\(path) exec bit")
        }
        // The LFS pointer arrives as the pointer blob itself (no smudge here).
        let pointer = try await git("cat-file", "blob", "HEAD:model.safetensors", in: w)
        #expect(pointer.stdout == Seed.lfsPointer)
        let fsck = try await git("fsck", "--full", "--strict", in: w)
        #expect(fsck.ok, "\(fsck.stderr)")
        let log = try await git("log", "--format=%H %s", in: w)
        #expect(log.stdout == "\(seedIDs[1].hex) seed commit 2\n\(seedIDs[0].hex) seed commit 1\n")
        #expect(try await git("symbolic-ref", "refs/remotes/origin/HEAD", in: w).stdout == "refs/remotes/origin/main\n")

        // Which protocol did the client really speak?
        let entries = await hub.log.entries
        let posts = entries.filter { $0.method == "POST" }
        #expect(!posts.isEmpty)
        if protocolVersion == 2 {
            #expect(posts.allSatisfy { $0.gitProtocol == "version=2" })
        } else {
            #expect(entries.allSatisfy { gitProtocolVersion($0.gitProtocol) == protocolVersion })
        }
    }

    @Test func pushThenCloneAndPullSeeTheNewCommit() async throws {
        let (hub, repo, seedIDs) = try await makeHub()
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("push")
        // Two clones made before the push, to be updated by pull later (v2 and v0).
        for (name, v) in [("pull2", 2), ("pull0", 0)] {
            #expect(try await git(["-c", "protocol.version=\(v)", "clone", "-q", hub.base + "/acme/model", dir + "/" + name], in: dir).ok)
        }
        let w = dir + "/w"
        #expect(try await git("clone", "-q", hub.authedBase + "/acme/model", w, in: dir).ok)
        try write(w + "/README.md", "# Test model\n\nEdited by a push.\n")
        try write(w + "/sub/dir/new.txt", "brand new file\n")
        // Big enough (> git's 1 MiB http.postBuffer) that git sends the pack
        // with chunked transfer encoding.
        var rng = SplitMix(seed: 7)
        let big = (0..<(3 << 19)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try Data(big).write(to: URL(fileURLWithPath: w + "/sub/weights.bin"))
        try FileManager.default.removeItem(atPath: w + "/config.json")
        // One edited line in a long file: git sends it as a thin-pack delta
        // against the server's copy, which only the server can resolve.
        try write(w + "/notes/long.md", Seed.longText.replacingOccurrences(of: "Line 1000:", with: "Line 1000 (edited):"))
        #expect(try await git("add", "-A", in: w).ok)
        #expect(try await git("commit", "-q", "-m", "edit, add, delete", in: w).ok)
        let push = try await git("push", "origin", "main", in: w)
        #expect(push.ok, "\(push.stderr)")

        let local = try await revParse("HEAD", in: w)
        let snap = try await repo.refs()
        #expect(snap.refs["refs/heads/main"] == local)
        // The server-side commit has the same tree as the client's, file by file.
        let push2 = PushRequest(updates: [], objects: [:], order: [], atomic: false, fallback: { try await repo.object($0) })
        let serverFiles = try await push2.files(ofCommit: local)
        #expect(serverFiles == (try await lsTree("HEAD", in: w)))
        #expect(serverFiles.contains { $0.path == "sub/dir/new.txt" })
        #expect(!serverFiles.contains { $0.path == "config.json" })
        let weights = try #require(serverFiles.first { $0.path == "sub/weights.bin" })
        #expect(try await repo.object(weights.id)?.data == big)
        let serverCommit = try await push2.commit(local)
        #expect(serverCommit.parents == [seedIDs[1]])
        #expect(serverCommit.message == "edit, add, delete\n")
        // Inspect what git actually sent: a pack with REF_DELTA entries whose
        // bases are not in the pack (thin), and which we resolved.
        let pushEntry = try #require(await hub.log.entries.last { $0.pushBody != nil && $0.method == "POST" })
        #expect(pushEntry.transferEncoding == "chunked")
        let pushBody = try #require(pushEntry.pushBody)
        let sentPack = try PackReader(Array(ReceivePack.parse(pushBody).pack))
        #expect(sentPack.entries.contains { $0.type == PackEntryType.refDelta })
        #expect(throws: PackError.self) { try sentPack.resolve() }
        let longID = try #require(serverFiles.first { $0.path == "notes/long.md" }?.id)
        #expect(try await repo.object(longID)?.data == Array(try read(w + "/notes/long.md").utf8))

        // A fresh clone sees it.
        let c2 = dir + "/c2"
        #expect(try await git(["-c", "protocol.version=0", "clone", "-q", hub.base + "/acme/model", c2], in: dir).ok)
        #expect(try read(c2 + "/sub/dir/new.txt") == "brand new file\n")
        #expect(!FileManager.default.fileExists(atPath: c2 + "/config.json"))
        #expect(try await git("fsck", "--full", in: c2).ok)

        // Pulls (with negotiation: the clients already have the seed commits).
        // They also carry 40 local commits the server has never seen, so the
        // client sends many unknown haves over several rounds, and a body big
        // enough that git gzips it.
        for (name, _) in [("pull2", 2), ("pull0", 0)] {
            let d = dir + "/" + name
            #expect(try await git("checkout", "-q", "-b", "local-work", in: d).ok)
            for i in 0..<40 {
                try write(d + "/local.txt", "local \(i)\n")
                #expect(try await git("add", "-A", in: d).ok)
                #expect(try await git("commit", "-q", "-m", "local \(i)", in: d).ok)
            }
            #expect(try await git("checkout", "-q", "main", in: d).ok)
        }
        for (name, v) in [("pull2", 2), ("pull0", 0)] {
            let p = try await git(["-c", "protocol.version=\(v)", "pull", "-q", "--ff-only"], in: dir + "/" + name)
            #expect(p.ok, "\(p.stderr)")
            #expect(try await revParse("HEAD", in: dir + "/" + name) == local)
            #expect(try read(dir + "/\(name)/README.md") == "# Test model\n\nEdited by a push.\n")
            #expect(try await git("fsck", "--full", in: dir + "/" + name).ok)
        }
        // v0 clients gzip their upload-pack requests; make sure we saw that.
        #expect(await hub.log.entries.contains { $0.contentEncoding == "gzip" && $0.status == 200 })
    }

    @Test func stalePushIsRefused() async throws {
        let repo = InMemoryRepository()
        try await Seed.populate(repo)
        let frozen = FrozenRefsRepository(inner: repo)
        let hub = try TestHub(repositories: ["/acme/model": repo, "/acme/model-frozen": frozen])
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("stale")
        let a = dir + "/a", b = dir + "/b", c = dir + "/c"
        for d in [a, b] { #expect(try await git("clone", "-q", hub.authedBase + "/acme/model", d, in: dir).ok) }
        frozen.freeze(try await repo.refs())
        #expect(try await git("clone", "-q", hub.authedBase + "/acme/model-frozen", c, in: dir).ok)

        try write(a + "/a.txt", "from a\n")
        #expect(try await git("add", "-A", in: a).ok)
        #expect(try await git("commit", "-q", "-m", "a", in: a).ok)
        try write(a + "/a2.txt", "from a, again\n")
        #expect(try await git("add", "-A", in: a).ok)
        #expect(try await git("commit", "-q", "-m", "a2", in: a).ok)
        #expect(try await git("push", "-q", "origin", "main", in: a).ok)
        let aHead = try await revParse("HEAD", in: a)
        let aParent = try await revParse("HEAD~1", in: a)

        // B is behind: git itself notices from the advertisement.
        try write(b + "/b.txt", "from b\n")
        #expect(try await git("add", "-A", in: b).ok)
        #expect(try await git("commit", "-q", "-m", "b", in: b).ok)
        let pb = try await git("push", "origin", "main", in: b)
        #expect(!pb.ok)
        #expect(pb.stderr.contains("[rejected]") && pb.stderr.contains("fetch first"), "\(pb.stderr)")

        // C saw a stale advertisement, so only the server's compare-and-swap
        // can catch it: "ng refs/heads/main fetch first".
        try write(c + "/c.txt", "from c\n")
        #expect(try await git("add", "-A", in: c).ok)
        #expect(try await git("commit", "-q", "-m", "c", in: c).ok)
        let postsBefore = await hub.log.entries.filter { $0.method == "POST" && $0.path.hasSuffix("/acme/model-frozen/git-receive-pack") }.count
        let pc = try await git("push", "origin", "main", in: c)
        #expect(!pc.ok)
        // git 2.39 shows a server "ng … fetch first" like its own check, so
        // also make sure the pack really went to the server and was refused there.
        #expect(pc.stderr.contains("main -> main (fetch first)"), "\(pc.stderr)")
        let postsAfter = await hub.log.entries.filter { $0.method == "POST" && $0.path.hasSuffix("/acme/model-frozen/git-receive-pack") }.count
        #expect(postsAfter == postsBefore + 1)

        // Server policy: a forced non-fast-forward is refused too.
        let pf = try await git("push", "--force", hub.authedBase + "/acme/model", "main", in: b)
        #expect(!pf.ok)
        #expect(pf.stderr.contains("main -> main (non-fast-forward)"), "\(pf.stderr)")
        #expect(await hub.log.entries.last { $0.method == "POST" }?.path == "/acme/model/git-receive-pack")

        #expect(try await repo.refs().refs["refs/heads/main"] == aHead)
        // The hub-facing helper lists exactly the two pushed commits, oldest first.
        let known = await repo.objects
        let sent = try PackReader(Array(ReceivePack.parse(try #require(
            await hub.log.entries.first { $0.pushBody != nil && $0.method == "POST" }?.pushBody)).pack)).resolve { known[$0] }
        let pr = PushRequest(updates: [], objects: sent.objects, order: sent.order, atomic: false) { try await repo.object($0) }
        #expect(try await pr.newCommits(RefUpdate(refName: "refs/heads/main", oldID: .zero, newID: aHead)) == [aParent, aHead])
    }

    @Test func pushWithoutTokenIsRejected() async throws {
        let (hub, repo, seedIDs) = try await makeHub()
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("noauth")
        let w = dir + "/w"
        #expect(try await git("clone", "-q", hub.base + "/acme/model", w, in: dir).ok)
        try write(w + "/x.txt", "x\n")
        #expect(try await git("add", "-A", in: w).ok)
        #expect(try await git("commit", "-q", "-m", "x", in: w).ok)
        let p = try await git("push", "origin", "main", in: w)
        #expect(!p.ok)
        #expect(await hub.log.entries.contains { $0.status == 401 && $0.service == "git-receive-pack" })
        #expect(try await repo.refs().refs["refs/heads/main"] == seedIDs[1])
    }

    @Test func emptyRepositoryCloneFirstPushAndBranches() async throws {
        let empty = InMemoryRepository()
        let dataset = InMemoryRepository()
        let hub = try TestHub(repositories: ["/acme/empty": empty, "/datasets/acme/data": dataset])
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("empty")
        let w = dir + "/w"
        let clone = try await git("clone", hub.authedBase + "/acme/empty", w, in: dir)
        #expect(clone.ok, "\(clone.stderr)")
        #expect(clone.stderr.contains("empty repository"))
        try write(w + "/data/train.csv", "a,b\n1,2\n")
        #expect(try await git("add", "-A", in: w).ok)
        #expect(try await git("commit", "-q", "-m", "first", in: w).ok)
        let p = try await git("push", "origin", "main", in: w)
        #expect(p.ok, "\(p.stderr)")
        let head = try await revParse("HEAD", in: w)
        #expect(try await empty.refs().refs["refs/heads/main"] == head)

        // Same commit to a dataset URL, plus a branch created and deleted.
        // (over protocol v1, which receive-pack also speaks)
        let pd = try await git(["-c", "protocol.version=1", "push", hub.authedBase + "/datasets/acme/data", "main", "main:refs/heads/feature"], in: w)
        #expect(pd.ok, "\(pd.stderr)")
        #expect(try await dataset.refs().refs == ["refs/heads/main": head, "refs/heads/feature": head])
        #expect(await hub.log.entries.contains { $0.method == "POST" && $0.path.hasSuffix("receive-pack") && $0.gitProtocol == "version=1" })
        let del = try await git("push", hub.authedBase + "/datasets/acme/data", "--delete", "feature", in: w)
        #expect(del.ok, "\(del.stderr)")
        #expect(try await dataset.refs().refs == ["refs/heads/main": head])
        let c2 = dir + "/c2"
        #expect(try await git("clone", "-q", hub.base + "/datasets/acme/data", c2, in: dir).ok)
        #expect(try read(c2 + "/data/train.csv") == "a,b\n1,2\n")
    }

    @Test(arguments: [2, 0])
    func shallowCloneThenDeepen(protocolVersion: Int) async throws {
        let (hub, _, seedIDs) = try await makeHub()
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("shallow")
        let w = dir + "/w"
        let v = "protocol.version=\(protocolVersion)"
        // file:// style --depth needs a smart server; this is the HF "just the
        // latest revision" clone.
        let clone = try await git(["-c", v, "clone", "--depth", "1", hub.base + "/acme/model", w], in: dir)
        #expect(clone.ok, "\(clone.stderr)")
        #expect(try await git("rev-list", "--count", "HEAD", in: w).stdout == "1\n")
        #expect(try read(w + "/.git/shallow") == seedIDs[1].hex + "\n")
        #expect(try read(w + "/config.json") == "{\"hidden_size\": 8}\n")
        #expect(try await git("fsck", "--full", in: w).ok)
        // Someone pushes; the shallow clone pulls just the new commit.
        let full = dir + "/full"
        #expect(try await git("clone", "-q", hub.authedBase + "/acme/model", full, in: dir).ok)
        try write(full + "/new.txt", "new\n")
        #expect(try await git("add", "-A", in: full).ok)
        #expect(try await git("commit", "-q", "-m", "third", in: full).ok)
        #expect(try await git("push", "-q", "origin", "main", in: full).ok)
        let pull = try await git(["-c", v, "pull", "-q", "--ff-only"], in: w)
        #expect(pull.ok, "\(pull.stderr)")
        #expect(try await git("rev-list", "--count", "HEAD", in: w).stdout == "2\n")
        #expect(try read(w + "/new.txt") == "new\n")
        #expect(try read(w + "/.git/shallow") == seedIDs[1].hex + "\n")
        #expect(try await git("fsck", "--full", in: w).ok)
        // Deepening fetches the missing history and removes the boundary.
        let deepen = try await git(["-c", v, "fetch", "--depth", "3", "origin"], in: w)
        #expect(deepen.ok, "\(deepen.stderr)")
        #expect(try await git("rev-list", "--count", "HEAD", in: w).stdout == "3\n")
        #expect(!FileManager.default.fileExists(atPath: w + "/.git/shallow"))
        #expect(try await git("fsck", "--full", in: w).ok)
    }

    @Test(arguments: [2, 0])
    func partialCloneFetchesBlobsOnDemand(protocolVersion: Int) async throws {
        let (hub, repo, _) = try await makeHub()
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("partial")
        let w = dir + "/w"
        let v = "protocol.version=\(protocolVersion)"
        let clone = try await git(["-c", v, "clone", "-q", "--no-checkout", "--filter=blob:none", hub.base + "/acme/model", w], in: dir)
        #expect(clone.ok, "\(clone.stderr)")
        // No blob came with the clone: every blob of the history is missing.
        let missing = try await git("rev-list", "--objects", "--missing=print", "HEAD", in: w)
        let missingIDs = Set(missing.stdout.split(separator: "\n").filter { $0.hasPrefix("?") }.compactMap { ObjectID(hex: $0.dropFirst()) })
        let serverBlobs = Set(await repo.objects.filter { $0.value.type == .blob }.keys)
        #expect(missingIDs == serverBlobs)
        let postsBefore = await hub.log.entries.filter { $0.method == "POST" }.count
        // …and checkout fetches the needed ones lazily, by explicit want.
        let co = try await git(["-c", v, "checkout", "-q", "main"], in: w)
        #expect(co.ok, "\(co.stderr)")
        #expect(try read(w + "/notes/long.md") == Seed.longText)
        #expect(try read(w + "/model.safetensors") == Seed.lfsPointer)
        #expect(await hub.log.entries.filter { $0.method == "POST" }.count > postsBefore)
        #expect(try await git("fsck", in: w).ok)
    }

    @Test func annotatedTagsAndBranchAtExistingCommit() async throws {
        let (hub, repo, seedIDs) = try await makeHub()
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("tags")
        let w = dir + "/w"
        #expect(try await git("clone", "-q", hub.authedBase + "/acme/model", w, in: dir).ok)
        #expect(try await git("tag", "-a", "v1.0", "-m", "release 1.0", in: w).ok)
        // The tag object plus a branch needing no new objects (empty pack).
        let p = try await git("push", "origin", "v1.0", "main:refs/heads/release", in: w)
        #expect(p.ok, "\(p.stderr)")
        let refs = try await repo.refs().refs
        let tagID = try await revParse("v1.0", in: w)
        #expect(refs["refs/tags/v1.0"] == tagID)
        #expect(refs["refs/heads/release"] == seedIDs[1])
        #expect(try await repo.object(tagID)?.type == .tag)
        // Repository policy rejections reach the user verbatim.
        let denied = try await git("push", "origin", "main:refs/heads/protected", in: w)
        #expect(!denied.ok)
        #expect(denied.stderr.contains("[remote rejected] main -> protected (permission denied)"), "\(denied.stderr)")
        // --atomic: one refused ref sinks the other.
        let atomic = try await git("push", "--atomic", "origin", "main:refs/heads/side", "main:refs/heads/protected", in: w)
        #expect(!atomic.ok)
        #expect(atomic.stderr.contains("(permission denied)"), "\(atomic.stderr)")
        #expect(try await repo.refs().refs["refs/heads/side"] == nil)
        // Asking for an object the server does not have is refused in-band.
        for v in [2, 0] {
            let f = try await git(["-c", "protocol.version=\(v)", "fetch", "origin", String(repeating: "ab", count: 20)], in: w)
            #expect(!f.ok)
            #expect(f.stderr.contains("not our ref"), "\(f.stderr)")
        }
        for v in [2, 0] {
            let c = dir + "/c\(v)"
            let r = try await git(["-c", "protocol.version=\(v)", "clone", "-q", hub.base + "/acme/model", c], in: dir)
            #expect(r.ok, "\(r.stderr)")
            #expect(try await git("cat-file", "-t", "v1.0", in: c).stdout == "tag\n")
            #expect(try await revParse("v1.0^{commit}", in: c) == seedIDs[1])
            #expect(try await git("branch", "-r", in: c).stdout.contains("origin/release"))
            #expect(try await git("fsck", "--full", in: c).ok)
        }
    }

    @Test func emptyRepositoryCloneOverProtocolV0() async throws {
        let hub = try TestHub(repositories: ["/acme/empty": InMemoryRepository()])
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("emptyv0")
        let r = try await git(["-c", "protocol.version=0", "clone", hub.base + "/acme/empty", dir + "/w"], in: dir)
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.contains("empty repository"))
    }

    /// A bigger history made by git itself (fast-import), pushed whole (a
    /// pack full of OFS_DELTA entries) and cloned back, plus several clones
    /// running at once against the same server.
    @Test func largeHistoryPushAndConcurrentClones() async throws {
        let repo = InMemoryRepository()
        let hub = try TestHub(repositories: ["/acme/big": repo])
        defer { hub.stop() }
        let dir = try GitCLI.tempDir("big")
        let src = dir + "/src"
        #expect(try await git("init", "-q", "-b", "main", src, in: dir).ok)
        var stream = ""
        var mark = 0
        for c in 0..<150 {
            mark += 1
            stream += "commit refs/heads/main\nmark :\(mark)\ncommitter Big <big@example.com> \(1_700_000_000 + c) +0000\n"
            let msg = "commit \(c)\n"
            stream += "data \(msg.utf8.count)\n\(msg)"
            if c > 0 { stream += "from :\(mark - 1)\n" }
            let files = c == 0 ? Array(0..<300) : (0..<5).map { (c * 7 + $0 * 61) % 300 }
            for f in files {
                let body = (0..<40).map { "file \(f) line \($0) rev \($0 == c % 40 ? c : 0)\n" }.joined()
                stream += "M 100644 inline dir\(f % 10)/sub\(f % 3)/file\(f).txt\ndata \(body.utf8.count)\n\(body)"
            }
        }
        let fi = try await GitCLI.run(["fast-import", "--quiet"], cwd: src, env: ["HOME": home], stdin: Array(stream.utf8))
        #expect(fi.ok, "\(fi.stderr)")
        let push = try await git("push", hub.authedBase + "/acme/big", "main", in: src)
        #expect(push.ok, "\(push.stderr)")
        let tip = try await revParse("main", in: src)
        #expect(try await repo.refs().refs["refs/heads/main"] == tip)
        let body = try #require(await hub.log.entries.last { $0.pushBody != nil && $0.method == "POST" }?.pushBody)
        let sent = try PackReader(Array(ReceivePack.parse(body).pack))
        #expect(sent.entries.filter { $0.type == PackEntryType.ofsDelta }.count > 100)
        #expect(await repo.objects.count == sent.objectCount)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, v) in [2, 0, 2, 0].enumerated() {
                group.addTask {
                    let c = dir + "/c\(i)"
                    let r = try await GitCLI.run(["-c", "protocol.version=\(v)", "clone", "-q", hub.base + "/acme/big", c],
                                                 cwd: dir, env: ["HOME": self.home])
                    #expect(r.ok, "\(r.stderr)")
                    let head = try await GitCLI.run(["rev-parse", "HEAD"], cwd: c, env: ["HOME": self.home])
                    #expect(head.stdout.hasPrefix(tip.hex))
                    let count = try await GitCLI.run(["rev-list", "--count", "HEAD"], cwd: c, env: ["HOME": self.home])
                    #expect(count.stdout == "150\n")
                    let fsck = try await GitCLI.run(["fsck", "--full"], cwd: c, env: ["HOME": self.home])
                    #expect(fsck.ok, "\(fsck.stderr)")
                }
            }
            try await group.waitForAll()
        }
    }
}
