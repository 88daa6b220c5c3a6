import Foundation
import Testing
import BlockStore
import Multiformats

/// The put/sync side of flatfs: direct-I/O and buffered blocks, the bounded list of files a sync
/// still owes (a put syncs them itself past its limit), deletions.
@Suite struct FlatFSSyncTests {
    @Test func blocksOfEverySizeAndAlignmentReadBackAfterSync() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flatfs-sync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try FlatFSBlockStore(root: dir)
        var cids: [CID] = []
        var blocks: [[UInt8]] = []
        // More blocks than the unsynced-list limit, so a put in the middle syncs the first ones.
        for i in 0..<4200 {
            let n = i % 700 == 0 ? (256 << 10) + i % 5000 : 1 + i % 300
            let b = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            let cid = CID.hashing(b, codec: .raw, version: .v1)
            try store.put(b, cid: cid)
            cids.append(cid); blocks.append(b)
        }
        // Page-aligned memory, as the importer passes it: the direct-I/O path with a short tail.
        let aligned = UnsafeMutableRawBufferPointer.allocate(byteCount: (300 << 10), alignment: 4096)
        defer { aligned.deallocate() }
        for (k, n) in [256 << 10, (256 << 10) + 14, (300 << 10) - 1].enumerated() {
            for j in 0..<n { aligned[j] = UInt8(truncatingIfNeeded: j &* 7 &+ k) }
            let view = UnsafeRawBufferPointer(rebasing: aligned[0..<n])
            let cid = CID.hashing(view, codec: .raw, version: .v1)
            try store.put(bytes: view, cid: cid)
            cids.append(cid); blocks.append(Array(view))
        }
        try store.sync()
        for (cid, b) in zip(cids, blocks) { #expect(try store.get(cid) == b) }
        for cid in cids.prefix(10) { try store.delete(cid) }
        try store.sync()
        for cid in cids.prefix(10) { #expect(try !store.has(cid)) }
        // No temp file is left behind.
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
