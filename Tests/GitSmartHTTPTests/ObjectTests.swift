import Foundation
import Testing
import GitSmartHTTP

/// Object ids are checked against what the real git computes for the same
/// input, never against constants produced by this module.
@Suite struct ObjectTests {
    @Test func blobIDsMatchGitHashObject() async throws {
        let dir = try await GitCLI.initRepo("blob")
        let samples: [[UInt8]] = [[], Array("hello\n".utf8), Array(repeating: 0xFF, count: 70_000), Array("no newline".utf8)]
        for s in samples {
            let r = try await GitCLI.run(["hash-object", "--stdin"], cwd: dir, env: ["HOME": dir], stdin: s)
            #expect(r.ok)
            #expect(GitObject.blob(s).id.hex == r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func treeOrderingAndIDsMatchGitMktree() async throws {
        let dir = try await GitCLI.initRepo("tree")
        let blob = GitObject.blob(Array("x".utf8)).id
        let sub = Tree(entries: [TreeEntry(mode: .regular, name: "f", id: blob)]).id
        // Names chosen so that the "directory compares as name + '/'" rule
        // decides the order: "a.txt" < "a/" < "a0" < "a-b"? No: '-' (0x2d) <
        // '.' (0x2e) < '/' (0x2f) < '0' (0x30).
        let entries = [
            TreeEntry(mode: .directory, name: "a", id: sub),
            TreeEntry(mode: .regular, name: "a.txt", id: blob),
            TreeEntry(mode: .regular, name: "a-b", id: blob),
            TreeEntry(mode: .executable, name: "a0", id: blob),
            TreeEntry(mode: .symlink, name: "link", id: blob),
            TreeEntry(mode: .regular, name: "B", id: blob),
        ]
        let tree = Tree(entries: entries.shuffled())
        #expect(tree.entries.map(\.nameString) == ["B", "a-b", "a.txt", "a", "a0", "link"])
        let input = entries.map { "\($0.mode.isDirectory ? "040000" : $0.mode.octal) \($0.mode.objectType.name) \($0.id.hex)\t\($0.nameString)\n" }.joined()
        let r = try await GitCLI.run(["mktree", "--missing"], cwd: dir, env: ["HOME": dir], stdin: Array(input.utf8))
        #expect(r.ok, "\(r.stderr)")
        #expect(tree.id.hex == r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // Round trip through the parser.
        #expect(try Tree.parse(tree.serialized()) == tree)
    }

    @Test func commitIDsMatchGitCommitTree() async throws {
        let dir = try await GitCLI.initRepo("commit")
        let r0 = try await GitCLI.run(["mktree"], cwd: dir, env: ["HOME": dir], stdin: [])
        let emptyTree = try #require(ObjectID(hex: r0.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(emptyTree == Tree(entries: []).id)
        let env = ["HOME": dir,
                   "GIT_AUTHOR_NAME": "Ann Author", "GIT_AUTHOR_EMAIL": "ann@example.com", "GIT_AUTHOR_DATE": "1700000000 +0530",
                   "GIT_COMMITTER_NAME": "Cal Committer", "GIT_COMMITTER_EMAIL": "cal@example.com", "GIT_COMMITTER_DATE": "1700000500 -0700"]
        let r1 = try await GitCLI.run(["commit-tree", emptyTree.hex, "-m", "first"], cwd: dir, env: env)
        let first = try #require(ObjectID(hex: r1.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let r2 = try await GitCLI.run(["commit-tree", emptyTree.hex, "-p", first.hex, "-m", "second line\n\nbody"], cwd: dir, env: env)
        let second = try #require(ObjectID(hex: r2.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))

        let author = Signature(name: "Ann Author", email: "ann@example.com", time: 1_700_000_000, offsetMinutes: 330)
        let committer = Signature(name: "Cal Committer", email: "cal@example.com", time: 1_700_000_500, timezone: "-0700")
        let c1 = Commit(tree: emptyTree, author: author, committer: committer, message: "first\n")
        #expect(c1.id == first)
        let c2 = Commit(tree: emptyTree, parents: [first], author: author, committer: committer, message: "second line\n\nbody\n")
        #expect(c2.id == second)

        // Parse what git wrote and get the same bytes back.
        let raw = try await GitCLI.run(["cat-file", "commit", second.hex], cwd: dir, env: env)
        let parsed = try Commit.parse(raw.stdoutBytes)
        #expect(parsed.parents == [first])
        #expect(parsed.author.offsetMinutes == 330)
        #expect(parsed.committer.timezone == "-0700")
        #expect(parsed.serialized() == raw.stdoutBytes)
    }

    @Test func commitsWithExtraHeadersRoundTrip() async throws {
        let dir = try await GitCLI.initRepo("xhdr")
        let tree = Tree(entries: []).id.hex
        let text = "tree \(tree)\nauthor A U <a@x> 1700000000 -0000\ncommitter C <c@x> 1700000001 +1345\n"
            + "encoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abcdef\n -----END PGP SIGNATURE-----\n\nmsg\n"
        let bytes = Array(text.utf8)
        let r = try await GitCLI.run(["hash-object", "-t", "commit", "-w", "--stdin"], cwd: dir, env: ["HOME": dir], stdin: bytes)
        #expect(r.ok, "\(r.stderr)")
        let c = try Commit.parse(bytes)
        #expect(c.extraHeaders.map(\.key) == ["encoding", "gpgsig"])
        #expect(c.committer.offsetMinutes == 13 * 60 + 45)
        #expect(c.serialized() == bytes)
        #expect(c.id.hex == r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func treeBuilderMatchesGitWriteTree() async throws {
        let dir = try await GitCLI.initRepo("wt")
        let files: [(String, String, Bool)] = [
            ("README.md", "# readme\n", false), ("a.txt", "a\n", false), ("a/b.txt", "ab\n", false),
            ("a/c/d.bin", "deep\n", false), ("a0", "a0\n", false), ("run.sh", "#!/bin/sh\necho hi\n", true),
            ("models/x/config.json", "{}\n", false),
        ]
        var entries: [TreeBuilder.FileEntry] = []
        for (path, content, exec) in files {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
            if exec { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
            entries.append(.init(path: path, mode: exec ? .executable : .regular, id: GitObject.blob(Array(content.utf8)).id))
        }
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "README.md")
        entries.append(.init(path: "link", mode: .symlink, id: GitObject.blob(Array("README.md".utf8)).id))
        #expect(try await GitCLI.run(["add", "-A"], cwd: dir, env: ["HOME": dir]).ok)
        let wt = try await GitCLI.run(["write-tree"], cwd: dir, env: ["HOME": dir])
        let result = try TreeBuilder.build(entries)
        #expect(result.rootID.hex == wt.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // Every tree git created exists in our output (root, a, a/c, models, models/x).
        #expect(result.trees.count == 5)
        let lsTrees = try await GitCLI.run(["ls-tree", "-r", "-t", result.rootID.hex], cwd: dir, env: ["HOME": dir])
        for line in lsTrees.stdout.split(separator: "\n") where line.contains(" tree ") {
            let id = ObjectID(hex: line.split(separator: " ")[2].prefix(40))!
            #expect(result.trees[id] != nil)
        }
        // Flatten is the inverse.
        let trees = result.trees
        let flat = try await TreeBuilder.flatten(root: result.rootID) { trees[$0] }
        #expect(flat == entries.sorted { $0.path < $1.path })
    }

    @Test func treeBuilderRejectsBadPaths() {
        let id = GitObject.blob([]).id
        #expect(throws: TreeBuilder.BuildError.invalidPath("../x")) { try TreeBuilder.build([.init(path: "../x", id: id)]) }
        #expect(throws: TreeBuilder.BuildError.invalidPath("a//b")) { try TreeBuilder.build([.init(path: "a//b", id: id)]) }
        #expect(throws: TreeBuilder.BuildError.invalidPath(".git/config")) { try TreeBuilder.build([.init(path: ".git/config", id: id)]) }
        #expect(throws: TreeBuilder.BuildError.duplicatePath("a")) { try TreeBuilder.build([.init(path: "a", id: id), .init(path: "a", id: id)]) }
        #expect(throws: TreeBuilder.BuildError.fileDirectoryConflict("a/b")) { try TreeBuilder.build([.init(path: "a", id: id), .init(path: "a/b", id: id)]) }
        #expect(throws: TreeBuilder.BuildError.fileDirectoryConflict("a")) { try TreeBuilder.build([.init(path: "a/b", id: id), .init(path: "a", id: id)]) }
    }

    @Test func malformedObjectsThrow() {
        #expect(throws: GitObjectError.self) { try Tree.parse(Array("100644 x".utf8)) }
        #expect(throws: GitObjectError.self) { try Tree.parse(Array("10064a x\0".utf8) + [UInt8](repeating: 1, count: 20)) }
        #expect(throws: GitObjectError.self) { try Commit.parse(Array("tree zz\n\nmsg".utf8)) }
        #expect(throws: GitObjectError.self) { try Commit.parse(Array("tree \(ObjectID.zero.hex)\n".utf8)) }
        #expect(ObjectID(hex: "xyz") == nil)
        #expect(ObjectID(hex: String(repeating: "g", count: 40)) == nil)
    }
}

@Suite struct LFSPointerTests {
    @Test func roundTripAndRecognition() throws {
        let p = try #require(LFSPointer(oid: String(repeating: "ab", count: 32), size: 12345))
        #expect(LFSPointer.parse(p.blob.data) == p)
        let seed = try #require(LFSPointer.parse(Array(Seed.lfsPointer.utf8)))
        #expect(seed.text == Seed.lfsPointer)
        #expect(LFSPointer.parse(Array("hello\n".utf8)) == nil)
        #expect(LFSPointer.parse(Array("version https://git-lfs.github.com/spec/v1\nsize 3\n".utf8)) == nil)
        #expect(LFSPointer(oid: "ABC", size: 1) == nil)
    }
}
