import Foundation
import Testing
import BlockStore
import Multiformats

/// Garbage collection on a store that several processes share: blocks a write in flight has stored
/// but not yet recorded are spared, until the write ends. Two `FlatFSBlockStore` instances on one
/// folder stand for two processes (each has its own writer file, as processes do).
@Suite struct StoreWritersTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("writers-\(UUID().uuidString)")

    func block(_ text: String) -> ([UInt8], CID) {
        let bytes = Array(text.utf8)
        return (bytes, CID.hashing(bytes, codec: .raw, version: .v1))
    }

    func collect(_ store: FlatFSBlockStore) throws -> GarbageCollectionResult {
        let pins = try PinStore(file: root.appendingPathComponent("pins.json"))
        return try collectGarbage(store: store, pins: pins, links: { _, _ in [] })
    }

    func age(_ path: String, by seconds: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: path)
    }

    @Test func blocksOfAWriteInFlightElsewhereAreSparedUntilItEnds() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let uploader = try FlatFSBlockStore(root: root.appendingPathComponent("blocks"))
        let collector = try FlatFSBlockStore(root: root.appendingPathComponent("blocks"))
        let (stray, strayCID) = block("written before the upload began, never recorded")
        try uploader.put(stray, cid: strayCID)
        try age(uploader.path(for: strayCID), by: 600)

        let writing = uploader.beginWrite()
        let (fresh, freshCID) = block("an upload's block, not yet committed")
        try uploader.put(fresh, cid: freshCID)
        let during = try collect(collector)
        #expect(during.removed == [strayCID])
        #expect(during.spared == 1)
        #expect(try collector.get(freshCID) == fresh)

        writing.end()
        let after = try collect(collector)
        #expect(after.removed == [freshCID])
        #expect(try collector.allKeys().isEmpty)
    }

    @Test func aBlockStoredAgainDuringAWriteIsSparedThoughItsFileIsOld() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let uploader = try FlatFSBlockStore(root: root.appendingPathComponent("blocks"))
        let collector = try FlatFSBlockStore(root: root.appendingPathComponent("blocks"))
        let (shared, cid) = block("left unreferenced long ago, then uploaded again")
        try uploader.put(shared, cid: cid)
        try age(uploader.path(for: cid), by: 3600)

        let writing = uploader.beginWrite()
        try uploader.put(shared, cid: cid)   // already there: the put only refreshes its time
        #expect(try collect(collector).spared == 1)
        #expect(try collector.get(cid) == shared)
        writing.end()
    }

    @Test func aWriterFileNoOneRefreshesIsIgnored() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try FlatFSBlockStore(root: root.appendingPathComponent("blocks"))
        let (bytes, cid) = block("stored by a process that then died")
        try store.put(bytes, cid: cid)
        // The dead process's file: a start long ago, last rewritten past `staleAfter`.
        let writers = root.appendingPathComponent("blocks/.writers")
        try FileManager.default.createDirectory(at: writers, withIntermediateDirectories: true)
        let dead = writers.appendingPathComponent("dead")
        try Data("\(Date().timeIntervalSince1970 - 7200)\n".utf8).write(to: dead)
        try age(dead.path, by: StoreWriters.staleAfter + 30)
        #expect(try collect(store).removed == [cid])
    }

    @Test func theWriterFileNamesTheOldestOpenSessionAndGoesWithTheLast() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try FlatFSBlockStore(root: root.appendingPathComponent("blocks"))
        let storeRoot = root.appendingPathComponent("blocks").path
        let first = store.beginWrite()
        let firstCutoff = StoreWriters.collectionCutoff(storeRoot: storeRoot)
        #expect(firstCutoff <= Date().addingTimeInterval(-StoreWriters.clockSkew + 1))
        usleep(2000)   // so the second session's start differs in the file's microseconds
        let second = store.beginWrite()
        #expect(StoreWriters.collectionCutoff(storeRoot: storeRoot) == firstCutoff)
        first.end()
        #expect(StoreWriters.collectionCutoff(storeRoot: storeRoot) > firstCutoff)
        second.end()
        let files = try FileManager.default.contentsOfDirectory(atPath: storeRoot + "/.writers")
        #expect(files.isEmpty)
        let now = Date()
        #expect(StoreWriters.collectionCutoff(storeRoot: storeRoot, now: now) == now)
    }
}
