import Foundation
import Testing
import GitSmartHTTP

@Suite struct PackTests {
    /// A repository whose history makes git produce real deltas: a large
    /// text file edited across several commits.
    static func makeDeltaRepo() async throws -> (dir: String, env: [String: String]) {
        let dir = try await GitCLI.initRepo("packsrc")
        let env = ["HOME": dir]
        var text = (0..<3000).map { "line \($0) of a reasonably long file with some words\n" }.joined()
        for i in 0..<4 {
            text = text.replacingOccurrences(of: "line \(i * 100) ", with: "LINE \(i * 100) changed ")
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/big.txt"))
            try Data("small \(i)\n".utf8).write(to: URL(fileURLWithPath: dir + "/small.txt"))
            try FileManager.default.createDirectory(atPath: dir + "/sub/\(i)", withIntermediateDirectories: true)
            try Data("f\(i)\n".utf8).write(to: URL(fileURLWithPath: dir + "/sub/\(i)/f.txt"))
            #expect(try await GitCLI.run(["add", "-A"], cwd: dir, env: env).ok)
            #expect(try await GitCLI.run(["commit", "-q", "-m", "c\(i)"], cwd: dir, env: env).ok)
        }
        return (dir, env)
    }

    static func allObjects(_ dir: String, _ env: [String: String]) async throws -> Set<ObjectID> {
        let r = try await GitCLI.run(["rev-list", "--objects", "--all"], cwd: dir, env: env)
        return Set(r.stdout.split(separator: "\n").compactMap { ObjectID(hex: $0.prefix(40)) })
    }

    @Test(arguments: [false, true])
    func readsPacksWrittenByGit(ofsDelta: Bool) async throws {
        let (dir, env) = try await Self.makeDeltaRepo()
        var args = ["pack-objects", "--stdout", "--all", "--window=10", "--depth=50"]
        if ofsDelta { args.append("--delta-base-offset") }
        let pack = try await GitCLI.run(args, cwd: dir, env: env, stdin: [])
        #expect(pack.ok)
        let reader = try PackReader(pack.stdoutBytes)
        // Make sure the pack really exercises the delta code path.
        let deltaType = ofsDelta ? PackEntryType.ofsDelta : PackEntryType.refDelta
        #expect(reader.entries.contains { $0.type == deltaType })
        let contents = try reader.resolve()
        #expect(Set(contents.objects.keys) == (try await Self.allObjects(dir, env)))
        // Content check against git for the big file at HEAD.
        let big = try await GitCLI.run(["cat-file", "blob", "HEAD:big.txt"], cwd: dir, env: env)
        let id = try #require(ObjectID(hex: (try await GitCLI.run(["rev-parse", "HEAD:big.txt"], cwd: dir, env: env)).stdout.prefix(40)))
        #expect(contents.objects[id]?.data == big.stdoutBytes)
    }

    @Test func resolvesThinPackAgainstLookup() async throws {
        let (dir, env) = try await Self.makeDeltaRepo()
        let old = try await GitCLI.run(["pack-objects", "--stdout", "--revs"], cwd: dir, env: env, stdin: Array("HEAD~1\n".utf8))
        let base = try PackReader.read(old.stdoutBytes).objects
        let thin = try await GitCLI.run(["pack-objects", "--stdout", "--revs", "--thin"], cwd: dir, env: env,
                                        stdin: Array("HEAD\n^HEAD~1\n".utf8))
        let reader = try PackReader(thin.stdoutBytes)
        #expect(throws: PackError.self) { try reader.resolve() }
        let contents = try reader.resolve(externalBase: { base[$0] })
        let head = try #require(ObjectID(hex: (try await GitCLI.run(["rev-parse", "HEAD"], cwd: dir, env: env)).stdout.prefix(40)))
        #expect(contents.objects[head]?.type == .commit)
        // Thin bases are not part of the result, only the pack's own objects.
        #expect(contents.objects.count == reader.objectCount)
    }

    @Test func writerOutputIsAcceptedByGitIndexPack() async throws {
        let dir = try await GitCLI.initRepo("packdst")
        let blob = GitObject.blob(Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        let small = GitObject.blob(Array("hi\n".utf8))
        let tree = try TreeBuilder.build([.init(path: "data.bin", id: blob.id), .init(path: "d/hi.txt", id: small.id)])
        let sig = Signature(name: "A", email: "a@b", time: 1_700_000_000)
        let commit = Commit(tree: tree.rootID, author: sig, committer: sig, message: "m\n").object
        let objects = [commit, blob, small] + Array(tree.trees.values)
        let pack = PackWriter.pack(objects)
        let r = try await GitCLI.run(["index-pack", "--stdin", "--strict"], cwd: dir, env: ["HOME": dir], stdin: pack)
        #expect(r.ok, "\(r.stderr)")
        let fsck = try await GitCLI.run(["fsck", "--full", "--strict", commit.id.hex], cwd: dir, env: ["HOME": dir])
        #expect(fsck.ok, "\(fsck.stderr)")
        let cat = try await GitCLI.run(["cat-file", "blob", blob.id.hex], cwd: dir, env: ["HOME": dir])
        #expect(cat.stdoutBytes == blob.data)
        // And our own reader round-trips it.
        let back = try PackReader.read(pack)
        #expect(Set(back.objects.values) == Set(objects))
    }

    @Test func deltaApplication() throws {
        let base = Array("hello, world".utf8)
        // base size 12, result size 11: copy "hello" (offset 0, size 5), insert " git", copy "ld"? use "!!".
        let delta: [UInt8] = [12, 11, 0x90, 5, 4] + Array(" git".utf8) + [2] + Array("!!".utf8)
        #expect(try Delta.apply(delta, to: base, maxResult: 100) == Array("hello git!!".utf8))
        #expect(throws: Delta.Failure.baseSizeMismatch) { try Delta.apply(delta, to: Array(base.dropLast()), maxResult: 100) }
        #expect(throws: Delta.Failure.copyOutOfBounds) { try Delta.apply([12, 20, 0x91, 10, 20], to: base, maxResult: 100) }
        #expect(throws: Delta.Failure.reservedOpcode) { try Delta.apply([12, 1, 0], to: base, maxResult: 100) }
        #expect(throws: Delta.Failure.truncated) { try Delta.apply([12, 5, 5, 1], to: base, maxResult: 100) }
        #expect(throws: Delta.Failure.resultTooLarge) { try Delta.apply([12, 0xFF, 0x7F], to: base, maxResult: 100) }
        #expect(throws: Delta.Failure.resultSizeMismatch) { try Delta.apply([12, 3, 2, 1, 2], to: base, maxResult: 100) }
    }
}

/// Hostile or broken input must produce typed errors, never a crash.
@Suite struct MalformedPackTests {
    static let sample: [UInt8] = {
        let a = GitObject.blob(Array("alpha\n".utf8)), b = GitObject.blob(Array(repeating: 7, count: 5000))
        let t = Tree(entries: [TreeEntry(mode: .regular, name: "a", id: a.id), TreeEntry(mode: .regular, name: "b", id: b.id)])
        return PackWriter.pack([a, b, t.object])
    }()

    /// Re-seals a tampered pack so that the checksum passes and the parser
    /// reaches the damaged part.
    static func reseal(_ body: [UInt8]) -> [UInt8] { body + ObjectID.sha1(of: body).bytes }

    @Test func rejectsFramingErrors() {
        var p = Self.sample
        #expect(throws: PackError.tooShort) { try PackReader(Array(p.prefix(20))) }
        #expect(throws: PackError.checksumMismatch) { try PackReader(Array(p.dropLast()) + [p.last! ^ 1]) }
        p[0] = UInt8(ascii: "X")
        #expect(throws: PackError.badSignature) { try PackReader(p) }
        var body = Array(Self.sample.dropLast(20))
        body[7] = 9  // version 9
        #expect(throws: PackError.unsupportedVersion(9)) { try PackReader(Self.reseal(body)) }
        body = Array(Self.sample.dropLast(20)); body[11] = 4  // claims 4 objects, has 3
        #expect(throws: PackError.truncatedEntry(offset: Self.sample.count - 20)) { try PackReader(Self.reseal(body)) }
        body = Array(Self.sample.dropLast(20)); body[11] = 2  // claims 2, has 3
        #expect(throws: PackError.self) { try PackReader(Self.reseal(body)) }
        body = Array(Self.sample.dropLast(20)); body[8] = 0xFF  // ~4 billion objects
        var limits = PackLimits(); limits.maxObjects = 1000
        #expect(throws: PackError.tooManyObjects(Int(0xFF00_0003))) { try PackReader(Self.reseal(body), limits: limits) }
    }

    @Test func rejectsBadEntries() {
        var body = Array(Self.sample.dropLast(20))
        body[12] = (body[12] & 0x8F) | (5 << 4)  // type 5 is reserved
        #expect(throws: PackError.invalidEntryType(offset: 12, type: 5)) { try PackReader(Self.reseal(body)) }

        body = Array(Self.sample.dropLast(20))
        body[14] ^= 0xFF  // inside the first zlib stream
        #expect(throws: PackError.self) { try PackReader(Self.reseal(body)) }

        // A declared size far beyond the limit is refused before allocation.
        var huge = Array("PACK".utf8) + bigEndian(2) + bigEndian(1)
        huge += [0xB0, 0xFF, 0xFF, 0xFF, 0x7F] + Zlib.compress([1, 2, 3])
        var limits = PackLimits(); limits.maxObjectSize = 1 << 20
        #expect(throws: PackError.objectTooLarge(offset: 12, size: 0 | (0x7F << 25) | (0x7F << 18) | (0x7F << 11) | (0x7F << 4))) {
            try PackReader(Self.reseal(huge), limits: limits)
        }

        // OFS_DELTA pointing before the first entry.
        var ofs = Array("PACK".utf8) + bigEndian(2) + bigEndian(1)
        ofs += [0x63, 0x20] + Zlib.compress([1, 2, 3])
        #expect(throws: PackError.badDeltaBase(offset: 12)) { try PackReader(Self.reseal(ofs)) }

        // REF_DELTA whose base nobody has.
        var ref = Array("PACK".utf8) + bigEndian(2) + bigEndian(1)
        ref += [0x73] + ObjectID.zero.bytes + Zlib.compress([1, 2, 1])
        #expect(throws: PackError.missingBases([.zero])) { try PackReader.read(Self.reseal(ref)) }

        // A delta whose copy runs off the end of its base.
        let base = GitObject.blob(Array("abc".utf8))
        var bad = Array("PACK".utf8) + bigEndian(2) + bigEndian(2)
        bad += PackEntryHeader.encode(type: 3, size: 3) + Zlib.compress(base.data)
        let deltaBytes: [UInt8] = [3, 10, 0x90, 10]
        bad += PackEntryHeader.encode(type: 7, size: deltaBytes.count) + base.id.bytes + Zlib.compress(deltaBytes)
        #expect(throws: PackError.badDelta(offset: 12 + 1 + Zlib.compress(base.data).count, "copyOutOfBounds")) {
            try PackReader.read(Self.reseal(bad))
        }

        // Garbage after the last entry.
        let extra = Array(Self.sample.dropLast(20)) + [1, 2, 3]
        #expect(throws: PackError.trailingGarbage(offset: Self.sample.count - 20)) { try PackReader(Self.reseal(extra)) }
    }

    /// Random corruption (resealed so it gets past the checksum) must either
    /// parse or throw a PackError; any crash fails the whole test run.
    @Test func survivesRandomCorruption() {
        var rng = SplitMix(seed: 42)
        let body = Array(Self.sample.dropLast(20))
        var threw = 0
        for _ in 0..<2000 {
            var b = body
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let i = 12 + Int(rng.next() % UInt64(b.count - 12))
                b[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 5 == 0 { b = Array(b.prefix(12 + Int(rng.next() % UInt64(b.count - 12)))) }
            do { _ = try PackReader.read(Self.reseal(b)) } catch { threw += 1 }
        }
        #expect(threw > 1000)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
