import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

/// The pipelined importer (reusable buffers, leaves framed in place, page-aligned blocks and
/// direct I/O for the flatfs store) against the plain reference, for every leaf option and a
/// spread of chunk sizes, through each way bytes come in and each kind of store.
@Suite struct PipelineLayoutTests {
    static let optionSets: [(String, ImportOptions)] = [
        ("v0", kuboOptions(cidVersion: 0)),
        ("v1 raw", kuboOptions(cidVersion: 1)),
        ("v1 dag-pb leaves", kuboOptions(cidVersion: 1, rawLeaves: false)),
    ]

    @Test(arguments: [1, 1000, 4096, 65_536, 262_144, 1_048_576])
    func cidsMatchTheReferenceInEveryStore(chunk: Int) throws {
        var rng = SplitMix64(state: UInt64(chunk) &+ 99)
        let dir = Fixtures.temporaryDirectory("pipeline")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Sizes around chunk edges, and one long enough to go round the buffer ring (8 MiB).
        let sizes = chunk == 1 ? [0, 1, 2, 40_000]
            : [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 7, max(9 << 20, 2 * chunk) + 5]
        for size in sizes {
            let bytes = randomBytes(size, &rng)
            let file = dir.appendingPathComponent("in-\(size).bin")
            try Data(bytes).write(to: file)
            for (label, var o) in Self.optionSets {
                o.chunkSize = chunk
                o.maxLinks = chunk < 4096 ? 11 : 174  // deeper trees from small inputs
                let want = try ReferenceFileBuilder(options: o).root(of: bytes)
                let what = "chunk \(chunk) size \(size) \(label)"
                #expect(try Importer(options: o, store: NullBlockStore()).addFile(at: file) == want, "\(what) only-hash")
                let memory = MemoryBlockStore()
                #expect(try Importer(options: o, store: memory).addBytes(bytes) == want, "\(what) bytes")
                // flatfs: one file per block is slow for tiny chunks, so only from 1000 bytes on.
                guard chunk >= 1000 && (size < 4 << 20 || label != "v1 dag-pb leaves") else { continue }
                let flat = try FlatFSBlockStore(root: dir.appendingPathComponent("blocks-\(chunk)-\(size)-\(label.count)"))
                #expect(try Importer(options: o, store: flat).addFile(at: file) == want, "\(what) flatfs")
                // Every block on disk reads back, verified against its hash, equal to the reference's.
                for key in try memory.allKeys() {
                    #expect(try flat.get(key) == memory.get(key), "\(what) block \(key)")
                }
                #expect(try Exporter(store: flat).read(want.cid) == bytes, "\(what) read back")
            }
        }
    }

    @Test func kuboVectorsThroughFlatFS() throws {
        let dir = Fixtures.temporaryDirectory("pipeline-kubo")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, v) in KuboVectorTests.files {
            for (key, o) in [("cidv0_kubo", kuboOptions(cidVersion: 0)), ("cidv1_rawleaves", kuboOptions(cidVersion: 1)),
                             ("cidv1_no_rawleaves", kuboOptions(cidVersion: 1, rawLeaves: false))] {
                let store = try FlatFSBlockStore(root: dir.appendingPathComponent("\(name)-\(key)"))
                let root = try Importer(options: o, store: store).addFile(at: Fixtures.inputs.appendingPathComponent(name))
                #expect(root.cid.description == v[key] as? String, "\(name) \(key)")
                try DagLinks.requireComplete(root.cid, in: store)
            }
        }
    }

    @Test func aStoreErrorStopsTheImportWithoutHangingOrLeaking() throws {
        var rng = SplitMix64(state: 5)
        let bytes = randomBytes(12 << 20, &rng)  // more than the buffer ring holds
        for failAt in [0, 3, 40] {
            let store = FailingStore(failAt: failAt)
            #expect(throws: FailingStore.Refused.self) { try Importer(store: store).addBytes(bytes) }
            let b = FileBuilder(store: store)
            #expect(throws: FailingStore.Refused.self) { try b.append(bytes); _ = try b.finish() }
        }
    }
}

/// Refuses every put from the `failAt`-th on.
final class FailingStore: BlockStoring, @unchecked Sendable {
    struct Refused: Error {}
    private let lock = NSLock()
    private var puts = 0
    let failAt: Int
    init(failAt: Int) { self.failAt = failAt }
    func put(_ data: [UInt8], cid: CID) throws {
        let n = lock.withLock { puts += 1; return puts }
        if n > failAt { throw Refused() }
    }
    func get(_ cid: CID) throws -> [UInt8] { throw BlockStoreError.notFound(cid) }
    func has(_ cid: CID) throws -> Bool { false }
    func delete(_ cid: CID) throws {}
    func allKeys() throws -> [CID] { [] }
    func sync() throws {}
}
