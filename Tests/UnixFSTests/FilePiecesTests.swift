import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

/// `FilePieces` is how the hub streams downloads: the pieces of any range, with raw leaves read
/// through `BlockStoring.read(_:into:)`, must give back the bytes of the file Kubo hashed.
@Suite struct FilePiecesTests {
    /// Concatenates the pieces of `from ..< to`, reading raw leaves into buffers of their stated size.
    func assemble(_ store: any BlockStoring, _ root: CID, size: UInt64?, from: UInt64, to: UInt64) throws -> [UInt8] {
        var pieces = FilePieces(exporter: Exporter(store: store), cid: root, size: size, from: from, to: to)
        var out: [UInt8] = []
        while let piece = try pieces.next() {
            switch piece {
            case .bytes(let b): out += b
            case .rawLeaf(let cid, let blockSize, let range):
                var block = [UInt8](repeating: 0, count: blockSize)
                try block.withUnsafeMutableBytes { try store.read(cid, into: $0) }
                out += block[range]
            }
        }
        return out
    }

    @Test(arguments: ["hello.txt", "a262145.bin", "mod251_1MiB.bin", "pat_50MiB.bin"])
    func rangesOfKuboDAGsGiveTheFileBytes(name: String) throws {
        let v = KuboVectorTests.files[name]!
        let url = Fixtures.inputs.appendingPathComponent(name)
        let bytes = [UInt8](try Data(contentsOf: url))
        let n = UInt64(bytes.count)
        // CIDv0 has dag-pb leaves (bytes come with inner nodes), CIDv1 raw leaves (read into buffers).
        for (key, options) in [("cidv0_kubo", kuboOptions(cidVersion: 0)), ("cidv1_rawleaves", kuboOptions(cidVersion: 1))] {
            let store = try FlatFSBlockStore(root: Fixtures.temporaryDirectory("pieces"))
            let root = try Importer(options: options, store: store).addFile(at: url).cid
            #expect(root.description == v[key] as? String, "\(name) \(key)")
            var ranges: [(UInt64, UInt64)] = [(0, n), (0, min(n, 1)), (n / 3, n / 3 + n / 2), (n - min(n, 7), n)]
            for leaf in [UInt64(262_144), 1 << 20] where leaf < n { ranges += [(leaf - 1, leaf + 1), (leaf, n)] }
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<6 {
                let a = UInt64.random(in: 0..<n, using: &rng)
                ranges.append((a, UInt64.random(in: a...n, using: &rng)))
            }
            for (from, to) in ranges {
                for size in [n, nil] as [UInt64?] {
                    let got = try assemble(store, root, size: size, from: from, to: to)
                    #expect(got == Array(bytes[Int(from)..<Int(to)]), "\(name) \(key) \(from)..<\(to) size \(String(describing: size))")
                }
            }
        }
    }

    @Test func aCorruptLeafStopsTheReadAtThatLeaf() throws {
        let url = Fixtures.inputs.appendingPathComponent("mod251_1MiB.bin")
        let store = try FlatFSBlockStore(root: Fixtures.temporaryDirectory("pieces-corrupt"))
        let root = try Importer(options: kuboOptions(cidVersion: 1), store: store).addFile(at: url).cid
        var pieces = FilePieces(exporter: Exporter(store: store), cid: root, size: 1 << 20, from: 0, to: 1 << 20)
        var leaves: [CID] = []
        while let piece = try pieces.next() { if case .rawLeaf(let c, _, _) = piece { leaves.append(c) } }
        #expect(leaves.count == 4)
        let victim = store.path(for: leaves[2])
        var block = [UInt8](try Data(contentsOf: URL(fileURLWithPath: victim)))
        block[100] ^= 0xFF
        try Data(block).write(to: URL(fileURLWithPath: victim))
        do {
            _ = try assemble(store, root, size: 1 << 20, from: 0, to: 1 << 20)
            Issue.record("a corrupt leaf was read without an error")
        } catch BlockStoreError.corrupt(let cid) {
            #expect(cid == leaves[2])
        }
        // The leaves before it still read: the stream fails where the damage is, not before.
        #expect(try assemble(store, root, size: 1 << 20, from: 0, to: 2 * 262_144).count == 2 * 262_144)
    }
}
