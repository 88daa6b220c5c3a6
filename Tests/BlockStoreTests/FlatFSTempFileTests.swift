import Foundation
import Testing
import BlockStore
import Multiformats

/// Temp files a killed writer leaves in flatfs: listed by age, removed only when old enough that
/// no live put can own them, and never mistaken for blocks.
@Suite struct FlatFSTempFileTests {
    @Test func staleTempFilesAreFoundAndRemovedFreshOnesKept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flatfs-tmp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try FlatFSBlockStore(root: dir)
        let block: [UInt8] = Array("a block".utf8)
        let cid = CID.hashing(block, codec: .raw, version: .v1)
        try store.put(block, cid: cid)
        let shard = URL(fileURLWithPath: store.path(for: cid)).deletingLastPathComponent()
        let old = shard.appendingPathComponent(".put-1-1.tmp"), fresh = shard.appendingPathComponent(".put-1-2.tmp")
        try Data("half".utf8).write(to: old)
        try Data("half".utf8).write(to: fresh)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old.path)
        #expect(store.tempFiles().count == 2)
        #expect(store.tempFiles(olderThan: 3600) == [old.path])
        #expect(store.removeStaleTempFiles(olderThan: 3600) == 1)
        #expect(store.tempFiles() == [fresh.path])
        #expect(try store.allKeys() == [cid])
        #expect(try store.get(cid) == block)
    }
}
