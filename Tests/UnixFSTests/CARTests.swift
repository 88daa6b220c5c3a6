import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

enum BlockStoreFixtures {
    static func memory() -> MemoryBlockStore { MemoryBlockStore() }
}

@Suite struct CARTests {
    func sampleDAG(_ store: any BlockStoring) throws -> CID {
        let entries = try Importer(options: kuboOptions(cidVersion: 0), store: store)
            .addPath(Fixtures.inputs.appendingPathComponent("dir"), recursive: true)
        return entries.last!.cid
    }

    func exportBytes(_ root: CID, _ store: any BlockStoring) throws -> [UInt8] {
        var out: [UInt8] = []
        try CARWriter(store: store).export(root: root) { out += $0 }
        return out
    }

    @Test func headerIsCanonicalDagCBOR() throws {
        let cid = try CID(KuboCIDs.helloV0)
        let h = CARWriter.header(roots: [cid])
        // varint(len) a2 65"roots" 81 d8 2a 58 23 00 <34 bytes> 67"version" 01
        let body: [UInt8] = [0xa2, 0x65] + Array("roots".utf8) + [0x81, 0xd8, 0x2a, 0x58, 0x23, 0x00] + cid.bytes
            + [0x67] + Array("version".utf8) + [0x01]
        #expect(h == [UInt8(body.count)] + body)
    }

    @Test func exportIsDepthFirstPreorderWithoutDuplicates() throws {
        let store = MemoryBlockStore()
        let root = try sampleDAG(store)
        let reader = CARReader(bytes: try exportBytes(root, store))
        #expect(try reader.readHeader() == [root])
        var order: [CID] = []
        while let (cid, _) = try reader.nextBlock() { order.append(cid) }
        // dir -> a.txt, empty.txt, sub -> b.txt (links in stored, i.e. name, order).
        let ex = Exporter(store: store)
        let top = try ex.links(ofDirectory: root)
        let sub = try ex.resolve(path: "\(root)/sub")
        let expected = [root, top[0].cid, top[1].cid, sub, try ex.resolve(path: "\(root)/sub/b.txt")]
        #expect(order == expected)
        #expect(Set(order).count == order.count)
    }

    @Test func exportThenImportIntoAnEmptyStoreGivesTheSameCIDsAndBytes() throws {
        let src = MemoryBlockStore()
        var rng = SplitMix64(state: 5)
        var o = kuboOptions(cidVersion: 1)
        o.chunkSize = 1000
        let data = randomBytes(300_000, &rng)
        let root = try Importer(options: o, store: src).addBytes(data)
        let car = try exportBytes(root.cid, src)
        let dst = try FlatFSBlockStore(root: Fixtures.temporaryDirectory("car-import"))
        let result = try importCAR(CARReader(bytes: car), into: dst)
        #expect(result.roots == [root.cid] && result.blockCount == src.count)
        #expect(Set(try dst.allKeys().map(\.multihash)) == Set(try src.allKeys().map(\.multihash)))
        #expect(try Exporter(store: dst).read(root.cid) == data)
    }

    @Test func truncatedOrCorruptCARsAreErrors() throws {
        let store = MemoryBlockStore()
        let car = try exportBytes(try sampleDAG(store), store)
        for cut in [1, 10, car.count / 2, car.count - 1] {
            #expect(throws: UnixFSError.self) { try importCAR(CARReader(bytes: Array(car.prefix(cut))), into: MemoryBlockStore()) }
        }
        var flipped = car
        flipped[car.count - 3] ^= 0x01  // inside the last block's data
        #expect(throws: UnixFSError.self) { try importCAR(CARReader(bytes: flipped), into: MemoryBlockStore()) }
    }

    @Test func readerNeverCrashesOnRandomOrTruncatedInput() throws {
        let store = MemoryBlockStore()
        let car = try exportBytes(try sampleDAG(store), store)
        var rng = SplitMix64(state: 77)
        var succeeded = 0
        for i in 0..<10_000 {
            var bytes = car
            switch i % 3 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            default: bytes = randomBytes(Int.random(in: 0...100, using: &rng), &rng)
            }
            if (try? importCAR(CARReader(bytes: bytes), into: MemoryBlockStore())) != nil { succeeded += 1 }
        }
        #expect(succeeded < 10_000)
    }
}

@Suite struct GarbageCollectionTests {
    @Test func gcRemovesExactlyTheUnpinnedBlocks() throws {
        let data = DataDirectory(root: Fixtures.temporaryDirectory("gc"))
        let store = try data.openBlockStore()
        let pins = try data.openPinStore()
        let kept = try Importer(store: store).addPath(Fixtures.inputs.appendingPathComponent("dir"), recursive: true).last!.cid
        let direct = try Importer(options: kuboOptions(cidVersion: 1), store: store).addBytes(Array("direct".utf8)).cid
        var rng = SplitMix64(state: 3)
        let gone = try Importer(store: store).addBytes(randomBytes(600_000, &rng)).cid
        try pins.pin(kept, recursive: true)
        try pins.pin(direct, recursive: false)
        let before = try store.allKeys().count
        let result = try collectGarbage(store: store, pins: try data.openPinStore())
        #expect(result.removed.count == 4)  // the 600 kB file: 3 leaves + root
        #expect(try store.allKeys().count == before - 4)
        #expect(try !store.has(gone))
        #expect(try Exporter(store: store).read(direct) == Array("direct".utf8))
        try DagLinks.requireComplete(kept, in: store)
        // Unpin and collect again: everything goes.
        try pins.unpin(kept)
        try pins.unpin(direct)
        _ = try collectGarbage(store: store, pins: pins)
        #expect(try store.allKeys().isEmpty)
    }

    /// gc marks by reading inner nodes only: a pinned file's raw leaves are never read (so a rotten
    /// leaf neither stops gc nor is removed; `repo verify` is what finds it), while a rotten inner
    /// node, whose links are unknown, stops gc before it deletes anything.
    @Test func gcReadsInnerNodesButNeverRawLeaves() throws {
        let data = DataDirectory(root: Fixtures.temporaryDirectory("gc-marks"))
        let store = try data.openBlockStore()
        let pins = try data.openPinStore()
        var rng = SplitMix64(state: 5)
        let pinned = try Importer(options: kuboOptions(cidVersion: 1), store: store).addBytes(randomBytes(700_000, &rng)).cid
        let loose = try Importer(options: kuboOptions(cidVersion: 1), store: store).addBytes(randomBytes(300_000, &rng)).cid
        try pins.pin(pinned, recursive: true)
        let leaves = try DagLinks.links(of: pinned, block: try store.get(pinned))
        #expect(leaves.count == 3 && leaves.allSatisfy { $0.codec == .raw })
        func rot(_ cid: CID) throws {
            let url = URL(fileURLWithPath: store.path(for: cid))
            var block = [UInt8](try Data(contentsOf: url))
            block[10] ^= 0xFF
            try Data(block).write(to: url)
        }
        try rot(leaves[1])
        let result = try collectGarbage(store: store, pins: pins)
        #expect(result.removed.map(\.multihash).contains(loose.multihash))
        #expect(try store.has(leaves[1]) && store.has(pinned))
        // The root is the inner node here: rotten, gc refuses and keeps every block.
        let other = try Importer(options: kuboOptions(cidVersion: 1), store: store).addBytes(randomBytes(300_000, &rng)).cid
        try rot(pinned)
        let before = try store.allKeys().count
        #expect(throws: BlockStoreError.self) { try collectGarbage(store: store, pins: pins) }
        #expect(try store.allKeys().count == before && store.has(other))
    }
}
