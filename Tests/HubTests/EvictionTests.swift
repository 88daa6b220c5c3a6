import BlockStore
import Foundation
import Hub
import Multiformats
import Testing
import UnixFS

/// Evicting a mirrored copy removes only blocks no live root reaches.
@Suite struct EvictionTests {
    @Test func aLeafSharedWithAnotherFileSurvivesEviction() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evict-\(UUID().uuidString)")
        let blocks = try FlatFSBlockStore(root: dir.appendingPathComponent("blocks"))
        let content = try ContentStore(blocks: blocks, tmpDirectory: dir.appendingPathComponent("tmp"))
        // Two files whose first 1 MiB leaf is the same bytes: one raw leaf block serves both.
        let shared = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let a = shared + Array(repeating: 1, count: 5000), b = shared + Array(repeating: 2, count: 7000)
        let importer = Importer(options: .unixfsV1_2025, store: blocks)
        let rootA = try importer.addBytes(a).cid, rootB = try importer.addBytes(b).cid
        let leafCount = try blocks.allKeys().count
        #expect(leafCount == 5)  // 2 roots, the shared leaf, 2 tails

        try content.removeContent(cid: rootA.description, liveRoots: [rootB])
        // B reads back whole; A's root and its own tail are gone, the shared leaf stayed.
        #expect(try Exporter(store: blocks).read(rootB) == b)
        #expect(try blocks.allKeys().count == 3)
        #expect(try !blocks.has(rootA))
        #expect(throws: (any Error).self) { try Exporter(store: blocks).read(rootA) }
        // With nothing live any more, the rest goes.
        try content.removeContent(cid: rootB.description, liveRoots: [])
        #expect(try blocks.allKeys().isEmpty)
    }
}
