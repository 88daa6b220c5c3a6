import Foundation
import Testing
import GitSmartHTTP

/// Service-level behaviour that is awkward to reach through the git CLI.
@Suite struct ServiceTests {
    func seeded() async throws -> (InMemoryRepository, [ObjectID]) {
        let repo = InMemoryRepository()
        return (repo, try await Seed.populate(repo))
    }

    func fetchBody(wants: [ObjectID]) -> [UInt8] {
        var w = PktLineWriter()
        w.text("command=fetch"); w.text("object-format=sha1"); w.delimiter()
        for id in wants { w.text("want \(id.hex)") }
        w.text("done"); w.flush()
        return w.bytes
    }

    @Test func streamingAndBufferedBodiesAgree() async throws {
        let (repo, ids) = try await seeded()
        let service = GitHTTPService()
        let req = GitHTTPRequest(method: "POST", endpoint: .uploadPack,
                                 headers: ["Content-Type": "application/x-git-upload-pack-request", "Git-Protocol": "version=2"],
                                 body: fetchBody(wants: [ids[1]]))
        let buffered = await service.handle(req, repository: repo)
        #expect(buffered.status == 200)
        #expect(buffered.headers["Content-Type"] == "application/x-git-upload-pack-result")
        let streamed = await service.handleStreaming(req, repository: repo)
        let chunks = ByteCollector()
        try await streamed.writeBody { await chunks.append($0) }
        #expect(await chunks.bytes == buffered.body)

        // Unwrap the side-band stream and check the pack has every seed object.
        var r = PktLineReader(buffered.body)
        #expect(try r.next()?.text == "packfile")
        var pack: [UInt8] = []
        while let p = try r.next(), case .data(let d) = p, d.first == 1 || d.first == 2 {
            if d.first == 1 { pack += d.dropFirst() }
        }
        let contents = try PackReader.read(pack)
        let all = await repo.objects
        #expect(Set(contents.objects.keys) == Set(all.keys))
    }

    @Test func unknownWantIsReportedInBand() async throws {
        let (repo, _) = try await seeded()
        let bogus = ObjectID(hex: String(repeating: "ab", count: 20))!
        let resp = await GitHTTPService().uploadPack(body: fetchBody(wants: [bogus]), gitProtocol: "version=2", repository: repo)
        var r = PktLineReader(resp.body)
        #expect(try r.next()?.text == "ERR upload-pack: not our ref \(bogus.hex)")
    }

    @Test func rejectsBadRequests() async throws {
        let (repo, _) = try await seeded()
        let s = GitHTTPService()
        let dumb = await s.handle(GitHTTPRequest(method: "GET", endpoint: .infoRefs), repository: repo)
        #expect(dumb.status == 403)
        let wrongType = await s.handle(GitHTTPRequest(method: "POST", endpoint: .receivePack, headers: ["Content-Type": "text/plain"]), repository: repo)
        #expect(wrongType.status == 415)
        let badGzip = await s.handle(GitHTTPRequest(method: "POST", endpoint: .uploadPack, headers: ["Content-Encoding": "gzip"], body: [1, 2, 3]), repository: repo)
        #expect(badGzip.status == 400)
        let garbage = await s.handle(GitHTTPRequest(method: "POST", endpoint: .receivePack, body: Array("zzzz".utf8)), repository: repo)
        #expect(garbage.status == 400)
        let get = await s.handle(GitHTTPRequest(method: "GET", endpoint: .uploadPack), repository: repo)
        #expect(get.status == 405)
    }

    @Test func corruptPushPackIsRefusedWithUnpackError() async throws {
        let (repo, ids) = try await seeded()
        let before = try await repo.refs()
        let newCommit = GitObject(type: .commit, data: Array("garbage".utf8))
        var pack = PackWriter.pack([newCommit])
        pack[pack.count - 1] ^= 0xFF  // break the trailer
        var w = PktLineWriter()
        w.data(Array("\(ids[1].hex) \(newCommit.id.hex) refs/heads/main\0report-status\n".utf8))
        w.flush()
        let resp = await GitHTTPService().receivePack(body: w.bytes + pack, repository: repo)
        var r = PktLineReader(resp.body)
        #expect(try r.next()?.text == "unpack pack checksum mismatch")
        #expect(try r.next()?.text == "ng refs/heads/main unpacker error")
        #expect(try await repo.refs() == before)

        // A well-formed pack whose commit is not a valid commit object.
        let good = PackWriter.pack([newCommit])
        let resp2 = await GitHTTPService().receivePack(body: w.bytes + good, repository: repo)
        var r2 = PktLineReader(resp2.body)
        #expect(try r2.next()?.text == "unpack ok")
        #expect(try r2.next()?.text?.hasPrefix("ng refs/heads/main invalid object") == true)
        #expect(try await repo.refs() == before)
    }

    @Test func pushedTreeWithUnsafeNameIsRefused() async throws {
        let (repo, ids) = try await seeded()
        let blob = GitObject.blob(Array("x".utf8))
        let evil = Tree(entries: [TreeEntry(mode: .regular, name: "..", id: blob.id)])
        let root = Tree(entries: [TreeEntry(mode: .directory, name: "a", id: evil.id)])
        let sig = Signature(name: "E", email: "e@x", time: 1)
        let commit = Commit(tree: root.id, parents: [ids[1]], author: sig, committer: sig, message: "evil\n").object
        var w = PktLineWriter()
        w.data(Array("\(ids[1].hex) \(commit.id.hex) refs/heads/main\0report-status\n".utf8))
        w.flush()
        let resp = await GitHTTPService().receivePack(body: w.bytes + PackWriter.pack([commit, root.object, evil.object, blob]), repository: repo)
        var r = PktLineReader(resp.body)
        #expect(try r.next()?.text == "unpack ok")
        #expect(try r.next()?.text == "ng refs/heads/main invalid object: unsafe tree entry name \"..\"")
        #expect(try await repo.refs().refs["refs/heads/main"] == ids[1])
    }

    /// Random and mutated request bodies never crash the services; they get
    /// an HTTP error or an in-band error.
    @Test func survivesGarbageRequests() async throws {
        let (repo, ids) = try await seeded()
        let service = GitHTTPService()
        var rng = SplitMix(seed: 99)
        var valid = PktLineWriter()
        valid.data(Array("\(ids[0].hex) \(ids[1].hex) refs/heads/x\0report-status side-band-64k\n".utf8))
        valid.flush()
        let templates: [[UInt8]] = [fetchBody(wants: [ids[1]]), valid.bytes + PackWriter.pack([.blob([1, 2, 3])]),
                                    Array("0032want \(ids[1].hex) multi_ack_detailed\n00000009done\n".utf8)]
        for i in 0..<600 {
            var body = templates[i % templates.count]
            for _ in 0..<Int(rng.next() % 6) {
                body[Int(rng.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 3 == 0 { body = Array(body.prefix(Int(rng.next() % UInt64(body.count + 1)))) }
            let endpoint: GitEndpoint = i % 2 == 0 ? .uploadPack : .receivePack
            let proto = i % 4 < 2 ? "version=2" : nil
            let resp = await service.handle(GitHTTPRequest(method: "POST", endpoint: endpoint,
                                                           headers: proto.map { ["Git-Protocol": $0] } ?? [:], body: body),
                                            repository: repo)
            #expect([200, 400, 500].contains(resp.status))
        }
        // Nothing was pushed by any of that.
        #expect(try await repo.refs().refs.keys.sorted() == ["refs/heads/main"])
    }
}
