import Foundation
import Testing
import BlockStore
import Multiformats

func tempDir(_ prefix: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// "Hello, IPFS!" as a raw block: Kubo's `ipfs block put` CID (vectors.json).
let helloBytes = Array("Hello, IPFS!".utf8)
let helloRaw = "bafkreih43byuv2f6ils5kpsj2qwzbwgdd2pqzs6anwm3nhfrhlagqjektm"

@Suite struct FlatFSTests {
    @Test func blocksLiveWhereKuboFlatfsPutsThem() throws {
        let root = tempDir("flatfs")
        let store = try FlatFSBlockStore(root: root)
        let cid = try CID(helloRaw)
        try store.put(helloBytes, cid: cid)
        // Kubo's key: base32 upper (RFC 4648, unpadded) of the multihash; sha2-256 keys start "CIQ".
        let key = FlatFSBlockStore.key(for: cid.multihash)
        #expect(key.hasPrefix("CIQ") && key == key.uppercased() && !key.contains("="))
        let shard = String(key.dropLast().suffix(2))
        let path = root.appendingPathComponent(shard).appendingPathComponent(key + ".data").path
        #expect(FileManager.default.contents(atPath: path) == Data(helloBytes))
        #expect(String(decoding: FileManager.default.contents(atPath: root.appendingPathComponent("SHARDING").path)!, as: UTF8.self)
                == "/repo/flatfs/shard/v1/next-to-last/2\n")
        #expect(FlatFSBlockStore.shard(for: "AB") == "_A")
    }

    @Test func putGetHasDeleteAndKeys() throws {
        let store = try FlatFSBlockStore(root: tempDir("flatfs"))
        let cid = try CID(helloRaw)
        #expect(try !store.has(cid))
        #expect(throws: BlockStoreError.self) { try store.get(cid) }
        try store.put(helloBytes, cid: cid)
        try store.sync()
        #expect(try store.has(cid))
        #expect(try store.get(cid) == helloBytes)
        // Keyed by multihash: the same hash under another codec is the same block.
        #expect(try store.get(CID(v1: .dagPB, multihash: cid.multihash)) == helloBytes)
        #expect(try store.allKeys() == [cid])
        try store.delete(cid)
        #expect(try !store.has(cid))
        #expect(try store.allKeys().isEmpty)
    }

    @Test func corruptBlocksAreErrorsNamingTheCID() throws {
        let root = tempDir("flatfs")
        let store = try FlatFSBlockStore(root: root)
        let cid = try CID(helloRaw)
        try store.put(helloBytes, cid: cid)
        try Data("Hello, IPFS?".utf8).write(to: URL(fileURLWithPath: store.path(for: cid)))
        do {
            _ = try store.get(cid)
            Issue.record("corrupt block returned as data")
        } catch let e as BlockStoreError {
            guard case .corrupt(let c) = e else { Issue.record("wrong error \(e)"); return }
            #expect(c == cid && "\(e)".contains(helloRaw))
        }
        #expect(throws: BlockStoreError.self) { try store.putVerified(Array("nope".utf8), cid: cid) }
    }

    @Test func readIntoABufferVerifiesSizeAndHash() throws {
        let store = try FlatFSBlockStore(root: tempDir("flatfs"))
        let cid = try CID(helloRaw)
        try store.put(helloBytes, cid: cid)
        var out = [UInt8](repeating: 0, count: helloBytes.count)
        try out.withUnsafeMutableBytes { try store.read(cid, into: $0) }
        #expect(out == helloBytes)
        // A buffer of another size (a parent claiming a wrong blocksize) is refused, as is a flipped byte.
        var short = [UInt8](repeating: 0, count: helloBytes.count - 1)
        #expect(throws: BlockStoreError.self) { try short.withUnsafeMutableBytes { try store.read(cid, into: $0) } }
        try Data("Hello, IPFS?".utf8).write(to: URL(fileURLWithPath: store.path(for: cid)))
        do {
            try out.withUnsafeMutableBytes { try store.read(cid, into: $0) }
            Issue.record("corrupt block read without an error")
        } catch let e as BlockStoreError {
            guard case .corrupt(let c) = e else { Issue.record("wrong error \(e)"); return }
            #expect(c == cid)
        }
    }

    @Test func aShardFolderRemovedWhileRunningIsMadeAgain() throws {
        let root = tempDir("flatfs")
        let store = try FlatFSBlockStore(root: root)
        let cid = try CID(helloRaw)
        try store.put(helloBytes, cid: cid)
        let shard = URL(fileURLWithPath: store.path(for: cid)).deletingLastPathComponent()
        try FileManager.default.removeItem(at: shard)
        // The store remembered the folder; the put must still land (it failed with ENOENT before).
        try store.put(helloBytes, cid: cid)
        try store.sync()
        #expect(try store.get(cid) == helloBytes)
    }

    @Test func concurrentPutsAllLand() throws {
        let store = try FlatFSBlockStore(root: tempDir("flatfs"))
        let blocks = (0..<200).map { i in Array("block \(i)".utf8) }
        DispatchQueue.concurrentPerform(iterations: blocks.count) { i in
            try! store.put(blocks[i], cid: CID.hashing(blocks[i], codec: .raw, version: .v1))
        }
        try store.sync()
        #expect(try store.allKeys().count == 200)
        for b in blocks { #expect(try store.get(CID.hashing(b, codec: .raw, version: .v1)) == b) }
        // No temp files are left behind.
        let leftovers = FileManager.default.enumerator(atPath: store.root.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}

@Suite struct DataDirectoryTests {
    @Test func flagBeatsEnvironmentBeatsHFHome() {
        let env = ["IPFS_ACCELERATE_HOME": "/srv/ia", "HF_HOME": "/srv/hf", "HOME": "/home/u"]
        #expect(DataDirectory.resolve(flag: "/data/x", environment: env).path == "/data/x")
        #expect(DataDirectory.resolve(flag: nil, environment: env).path == "/srv/ia")
        #expect(DataDirectory.resolve(flag: nil, environment: ["HF_HOME": "/srv/hf", "HOME": "/home/u"]).path == "/srv/hf/ipfs_accelerate")
        #expect(DataDirectory.resolve(flag: nil, environment: ["HOME": "/home/u"]).path == "/home/u/.cache/huggingface/ipfs_accelerate")
        #expect(DataDirectory.resolve(flag: "~/d", environment: ["HOME": "/home/u"]).path == "/home/u/d")
        let d = DataDirectory(root: URL(fileURLWithPath: "/x"))
        #expect(d.blocks.path == "/x/blocks" && d.tmp.path == "/x/tmp")
    }
}

@Suite struct PinStoreTests {
    @Test func pinsPersistAcrossInstancesWithKinds() throws {
        let dir = DataDirectory(root: tempDir("pins"))
        let a = try CID(helloRaw)
        let b = try CID("QmZaEQdUN9aj2UXzac2QHgDq5k2PHm6kMi17zJpRwwgKnm")
        let pins = try dir.openPinStore()
        try pins.pin(a, recursive: false)
        try pins.pin(b, recursive: true)
        try pins.pin(a, recursive: true)  // upgrades the direct pin
        let reopened = try dir.openPinStore()
        #expect(try reopened.list().map(\.cid) == [b, a])
        #expect(try reopened.kind(of: a) == .recursive)
        try reopened.unpin(a)
        #expect(throws: BlockStoreError.self) { try reopened.unpin(a) }
        #expect(try dir.openPinStore().list().map(\.cid) == [b])
    }

    @Test func unreadablePinFileIsAnError() throws {
        let dir = DataDirectory(root: tempDir("pins"))
        try dir.create()
        try Data("{not json".utf8).write(to: dir.pinsFile)
        #expect(throws: BlockStoreError.self) { try dir.openPinStore() }
    }
}
