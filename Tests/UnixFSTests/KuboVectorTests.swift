import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

/// Every CID in vectors.json, through the library (the CLI is checked in IntegrationTests).
@Suite struct KuboVectorTests {
    nonisolated(unsafe) static let files = Fixtures.vectors["files"] as! [String: [String: Any]]
    static let fileNames = files.keys.sorted()

    @Test(arguments: fileNames)
    func fileCIDsMatchKubo(name: String) throws {
        let v = Self.files[name]!
        let url = Fixtures.inputs.appendingPathComponent(name)
        let checks: [(String, String?, ImportOptions)] = [
            ("cidv0_kubo", "size_v0", kuboOptions(cidVersion: 0)),
            ("cidv1_rawleaves", "size_v1", kuboOptions(cidVersion: 1)),
            ("cidv1_no_rawleaves", nil, kuboOptions(cidVersion: 1, rawLeaves: false)),
        ]
        for (key, sizeKey, options) in checks {
            let store = MemoryBlockStore()
            let root = try Importer(options: options, store: store).addFile(at: url)
            #expect(root.cid.description == v[key] as? String, "\(name) \(key)")
            if let sizeKey { #expect(root.tsize == (v[sizeKey] as! NSNumber).uint64Value, "\(name) \(sizeKey)") }
            #expect(root.size == (v["bytes"] as! NSNumber).uint64Value)
        }
        for (key, version) in [("wrap_w_v0", 0), ("wrap_w_v1", 1)] {
            var o = kuboOptions(cidVersion: version)
            o.wrapWithDirectory = true
            let entries = try Importer(options: o, store: NullBlockStore()).addPath(url, recursive: false)
            #expect(entries.last?.cid.description == v[key] as? String, "\(name) \(key)")
            #expect(entries.first?.path == name)
        }
    }

    @Test func fileCIDsMatchKuboFromBytesAndStreamingPieces() throws {
        // The same vectors through addBytes and FileBuilder fed in odd-sized pieces.
        let v = Self.files["mod251_1MiB.bin"]!
        let bytes = [UInt8](try Data(contentsOf: Fixtures.inputs.appendingPathComponent("mod251_1MiB.bin")))
        #expect(try Importer(store: NullBlockStore()).addBytes(bytes).cid.description == v["cidv0_kubo"] as? String)
        let b = FileBuilder(options: kuboOptions(cidVersion: 1), store: NullBlockStore())
        var i = 0, step = 1
        while i < bytes.count { let n = min(step, bytes.count - i); try b.append(bytes[i..<(i + n)]); i += n; step = step * 3 % 100_003 + 1 }
        #expect(try b.finish().cid.description == v["cidv1_rawleaves"] as? String)
    }

    @Test func directoryCIDsMatchKubo() throws {
        let d = (Fixtures.vectors["dirs"] as! [String: [String: Any]])["dir"]!
        let url = Fixtures.inputs.appendingPathComponent("dir")
        for (version, rawLeaves, rootKey, sizeKey, subKey, wrapKey) in [
            (0, false, "cidv0", "size_v0", "sub_v0", "wrap_w_v0"),
            (1, true, "cidv1_rawleaves", "size_v1", "sub_v1", "wrap_w_v1"),
            (1, false, "cidv1_no_rawleaves", nil, nil, nil) as (Int, Bool, String, String?, String?, String?),
        ] {
            let entries = try Importer(options: kuboOptions(cidVersion: version, rawLeaves: rawLeaves), store: MemoryBlockStore())
                .addPath(url, recursive: true)
            let root = entries.last!
            #expect(root.path == "dir" && root.cid.description == d[rootKey] as? String, "\(rootKey)")
            if let sizeKey { #expect(root.size == (d[sizeKey] as! NSNumber).uint64Value) }
            if let subKey { #expect(entries.first { $0.path == "dir/sub" }?.cid.description == d[subKey] as? String) }
            // Kubo's order: files as walked, then folders innermost first.
            #expect(entries.map(\.path) == ["dir/a.txt", "dir/empty.txt", "dir/sub/b.txt", "dir/sub", "dir"])
            if let wrapKey {
                var o = kuboOptions(cidVersion: version, rawLeaves: rawLeaves)
                o.wrapWithDirectory = true
                let w = try Importer(options: o, store: NullBlockStore()).addPath(url, recursive: true)
                #expect(w.last?.cid.description == d[wrapKey] as? String && w.last?.path == "")
            }
        }
    }

    @Test func emptyFileBlockIsTheDocumentedBytes() throws {
        let store = MemoryBlockStore()
        let root = try Importer(store: store).addBytes([])
        #expect(try store.get(root.cid) == [0x0a, 0x04, 0x08, 0x02, 0x18, 0x00])
        #expect(root.cid.description == Self.files["empty.bin"]!["cidv0_kubo"] as? String)
    }

    @Test func blockPutVectorMatches() throws {
        let expected = (Fixtures.vectors["block_put"] as! [String: String])["hello.txt"]!
        let data = [UInt8](try Data(contentsOf: Fixtures.inputs.appendingPathComponent("hello.txt")))
        #expect(CID.hashing(data, codec: .raw, version: .v1).description == expected)
    }
}
