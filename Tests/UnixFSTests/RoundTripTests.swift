import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

@Suite struct RoundTripTests {
    @Test(arguments: [4096, 262_144])
    func addThenCatGivesTheSameBytes(chunk: Int) throws {
        var rng = SplitMix64(state: UInt64(chunk))
        let dir = Fixtures.temporaryDirectory("roundtrip")
        let store = try FlatFSBlockStore(root: dir.appendingPathComponent("blocks"))
        let exporter = Exporter(store: store)
        for size in [0, 1, chunk - 1, chunk, chunk + 1, 174 * chunk + 1] {
            let bytes = randomBytes(size, &rng)
            for options in [kuboOptions(cidVersion: 0), kuboOptions(cidVersion: 1)] {
                var o = options
                o.chunkSize = chunk
                let root = try Importer(options: o, store: store).addBytes(bytes)
                #expect(root.size == UInt64(size))
                #expect(try exporter.fileSize(root.cid) == UInt64(size))
                #expect(try exporter.read(root.cid) == bytes, "size \(size)")
                // A few ranges, including ones crossing chunk and node boundaries.
                for _ in 0..<5 where size > 0 {
                    let off = Int.random(in: 0..<size, using: &rng)
                    let len = Int.random(in: 0...(size - off), using: &rng)
                    #expect(try exporter.read(root.cid, offset: UInt64(off), length: UInt64(len)) == Array(bytes[off..<(off + len)]))
                }
            }
        }
    }

    @Test func rangeReadsSeekByBlocksizesInsteadOfReadingAllLeaves() throws {
        let counting = CountingStore(MemoryBlockStore())
        var o = ImportOptions.unixfsV0_2015
        o.chunkSize = 1024
        var rng = SplitMix64(state: 7)
        let bytes = randomBytes(175 * 1024 + 100, &rng)  // depth 2: 176 leaves
        let root = try Importer(options: o, store: counting).addBytes(bytes)
        counting.reset()
        let got = try Exporter(store: counting).read(root.cid, offset: 150_000, length: 10)
        #expect(got == Array(bytes[150_000..<150_010]))
        #expect(counting.gets <= 5)  // root (size + walk), one inner node, one leaf
    }

    @Test func offsetPastTheEndIsAnError() throws {
        let store = MemoryBlockStore()
        let root = try Importer(store: store).addBytes(Array("abc".utf8))
        #expect(try Exporter(store: store).read(root.cid, offset: 3).isEmpty)
        #expect(throws: UnixFSError.self) { try Exporter(store: store).read(root.cid, offset: 4) }
    }

    @Test func randomTreesWithUnicodeNamesRoundTripThroughGet() throws {
        var rng = SplitMix64(state: 99)
        let names = ["a", "B", "zé", "日本語", "emoji😀", "space name", "x.y", "ä", "a\u{0308}", "Ω"]
        let src = Fixtures.temporaryDirectory("tree-src")
        let root = src.appendingPathComponent("tree")
        func fill(_ dir: URL, depth: Int) throws {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for name in names.shuffled(using: &rng).prefix(Int.random(in: 1...5, using: &rng)) {
                let u = dir.appendingPathComponent(name)
                if depth < 3 && Bool.random(using: &rng) { try fill(u, depth: depth + 1) } else {
                    try Data(randomBytes(Int.random(in: 0...5000, using: &rng), &rng)).write(to: u)
                }
            }
        }
        try fill(root, depth: 0)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link").path, withDestinationPath: "a/../B")
        for options in [kuboOptions(cidVersion: 0), kuboOptions(cidVersion: 1)] {
            let store = MemoryBlockStore()
            var o = options
            o.chunkSize = 1000
            let entries = try Importer(options: o, store: store).addPath(root, recursive: true)
            let out = Fixtures.temporaryDirectory("tree-out").appendingPathComponent("got")
            try Exporter(store: store).get(entries.last!.cid, to: out)
            try expectSameTree(root.path, out.path)
        }
    }

    func expectSameTree(_ a: String, _ b: String) throws {
        let fm = FileManager.default
        let attrs = try fm.attributesOfItem(atPath: a)
        if attrs[.type] as? FileAttributeType == .typeSymbolicLink {
            #expect(try fm.destinationOfSymbolicLink(atPath: b) == fm.destinationOfSymbolicLink(atPath: a))
        } else if attrs[.type] as? FileAttributeType == .typeDirectory {
            let ea = try fm.contentsOfDirectory(atPath: a).sorted(), eb = try fm.contentsOfDirectory(atPath: b).sorted()
            #expect(ea == eb)
            for n in ea { try expectSameTree(a + "/" + n, b + "/" + n) }
        } else {
            #expect(fm.contents(atPath: a) == fm.contents(atPath: b), "\(a)")
        }
    }

    @Test func hiddenFilesAreSkippedUnlessAsked() throws {
        let src = Fixtures.temporaryDirectory("hidden").appendingPathComponent("d")
        try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: src.appendingPathComponent(".secret"))
        try Data("y".utf8).write(to: src.appendingPathComponent("visible"))
        let store = MemoryBlockStore()
        let plain = try Importer(store: store).addPath(src, recursive: true).last!.cid
        #expect(try Exporter(store: store).ls(plain).map(\.name) == ["visible"])
        var o = ImportOptions.unixfsV0_2015
        o.hidden = true
        let all = try Importer(options: o, store: store).addPath(src, recursive: true).last!.cid
        #expect(try Exporter(store: store).ls(all).map(\.name) == [".secret", "visible"])
    }

    @Test func maxLinksShapesTheTree() throws {
        var o = ImportOptions.unixfsV0_2015
        o.chunkSize = 10
        o.maxLinks = 3
        let store = MemoryBlockStore()
        let bytes = [UInt8](repeating: 7, count: 95)  // 10 leaves -> 3 levels
        let root = try Importer(options: o, store: store).addBytes(bytes)
        #expect(try Exporter(store: store).read(root.cid) == bytes)
        guard case .file(let pb, let fs) = try Exporter(store: store).node(root.cid) else { Issue.record("not a file"); return }
        #expect(pb.links.count == 2 && fs.blocksizes == [90, 5] && fs.filesize == 95)
    }
}
