import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

@Suite struct ExporterSafetyTests {
    func directory(with names: [String], store: MemoryBlockStore) throws -> CID {
        let file = try Importer(store: store).addBytes(Array("evil".utf8))
        let links = names.map { PBLink(cid: file.cid, name: $0, tsize: file.tsize) }
        let block = PBNode(links: links, data: UnixFSData(type: .directory).encode()).encode()
        let cid = CID.hashing(block, codec: .dagPB, version: .v0)
        try store.put(block, cid: cid)
        return cid
    }

    @Test(arguments: ["../escape", "..", ".", "", "a/b", "nul\0byte", "/abs", "../\u{301}x", "a/\u{301}"])
    func getRefusesUnsafeLinkNames(name: String) throws {
        let store = MemoryBlockStore()
        let cid = try directory(with: ["ok", name], store: store)
        let base = Fixtures.temporaryDirectory("unsafe")
        let target = base.appendingPathComponent("out")
        #expect(throws: UnixFSError.self) { try Exporter(store: store).get(cid, to: target) }
        // Nothing was written, inside or beside the target.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.path).isEmpty)
    }

    @Test func getNeverWritesThroughAnExistingDirectory() throws {
        let store = MemoryBlockStore()
        let cid = try directory(with: ["ok"], store: store)
        let target = Fixtures.temporaryDirectory("exists")
        #expect(throws: UnixFSError.self) { try Exporter(store: store).get(cid, to: target) }
    }

    @Test func resolveWalksNamesAndRejectsBadPaths() throws {
        let store = MemoryBlockStore()
        let cid = try directory(with: ["a", "b"], store: store)
        let ex = Exporter(store: store)
        #expect(try ex.read(ex.resolve(path: "\(cid)/a")) == Array("evil".utf8))
        #expect(try ex.resolve(path: "/ipfs/\(cid)/b") == ex.resolve(path: "\(cid)/a"))
        #expect(throws: UnixFSError.self) { try ex.resolve(path: "\(cid)/missing") }
        #expect(throws: UnixFSError.self) { try ex.resolve(path: "/ipns/\(cid)") }
        #expect(throws: MultiformatsError.self) { try ex.resolve(path: "notacid/a") }
    }
}

@Suite struct HAMTTests {
    /// Names long enough that the "links" estimate passes 256 KiB with 2,000 entries.
    func makeDirectory(count: Int, nameLength: Int) throws -> URL {
        let dir = Fixtures.temporaryDirectory("hamt").appendingPathComponent("big")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for i in 0..<count {
            let name = String(format: "file-%05d-", i) + String(repeating: "x", count: max(0, nameLength - 11))
            try Data("\(i)".utf8).write(to: dir.appendingPathComponent(name))
        }
        return dir
    }

    @Test func largeDirectoriesBecomeShardsThatListAndResolve() throws {
        let dir = try makeDirectory(count: 2000, nameLength: 120)  // 2000 * (120 + 34) > 262144
        let store = MemoryBlockStore()
        let root = try Importer(store: store).addPath(dir, recursive: true).last!.cid
        let ex = Exporter(store: store)
        guard case .hamtShard(_, let fs) = try ex.node(root) else { Issue.record("not a HAMT"); return }
        #expect(fs.fanout == 256 && fs.hashType == 0x22)
        let listed = try ex.ls(root)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(Set(listed.map(\.name)) == Set(names) && listed.count == 2000)
        for name in names.prefix(50) {
            let cid = try ex.resolve(path: "\(root)/\(name)")
            #expect(String(decoding: try ex.read(cid), as: UTF8.self) == String(Int(name.dropFirst(5).prefix(5))!))
        }
        let out = Fixtures.temporaryDirectory("hamt-out").appendingPathComponent("got")
        try ex.get(root, to: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).count == 2000)
    }

    @Test func estimatorsDecideAtTheThreshold() throws {
        // Names of 130 bytes, CIDv0 (34 bytes), tiny files (Tsize < 128). Per entry the "links"
        // estimate counts 130 + 34 = 164 bytes; the "block" estimate counts the encoded link:
        // 174 bytes. 1,500 entries: both under 262,144; 1,550: links 254,200 (basic) but block
        // 269,700 (HAMT); 1,600: both over.
        let cases: [(Int, Bool, Bool)] = [(1500, false, false), (1550, false, true), (1600, true, true)]
        for (count, linksShards, blockShards) in cases {
            let dir = try makeDirectory(count: count, nameLength: 130)
            for (estimator, expected) in [(ImportOptions.HAMTEstimator.links, linksShards), (.block, blockShards)] {
                var o = ImportOptions.unixfsV0_2015
                o.hamtEstimator = estimator
                let store = MemoryBlockStore()
                let root = try Importer(options: o, store: store).addPath(dir, recursive: true).last!.cid
                var sharded = false
                if case .hamtShard = try Exporter(store: store).node(root) { sharded = true }
                #expect(sharded == expected, "\(count) entries, estimator \(estimator)")
                #expect(try Exporter(store: store).ls(root).count == count)
            }
        }
    }
}
