import Foundation
import Testing
import Multiformats
import UnixFS

@Suite struct DagPBTests {
    @Test func leafBlockHasTheDocumentedLayout() throws {
        // unixfs.md: leaf Data = 08 02 12 <len> <bytes> 18 <len>, wrapped as PBNode Data (0a).
        let store = BlockStoreFixtures.memory()
        let root = try Importer(store: store).addBytes(Array("Hello, IPFS!".utf8))
        let block = try store.get(root.cid)
        #expect(block == [0x0a, 0x12, 0x08, 0x02, 0x12, 0x0c] + Array("Hello, IPFS!".utf8) + [0x18, 0x0c])
        let node = try PBNode(decoding: block)
        #expect(node.links.isEmpty)
        let fs = try UnixFSData(decoding: node.data!)
        #expect(fs.type == .file && fs.filesize == 12 && fs.data == Array("Hello, IPFS!".utf8))
        #expect(node.encode() == block)
    }

    @Test func linksComeBeforeDataWithNameAndTsizeAlwaysWritten() throws {
        let cid = try CID(KuboCIDs.helloV0)
        let node = PBNode(links: [PBLink(cid: cid, name: "", tsize: 20)], data: [0x08, 0x01])
        let bytes = node.encode()
        #expect(bytes.first == 0x12)
        #expect(Array(bytes.suffix(4)) == [0x0a, 0x02, 0x08, 0x01])
        // link: 0a 22 <34-byte cid> 12 00 18 14
        #expect(Array(bytes[2..<4]) == [0x0a, 0x22] && Array(bytes[38..<42]) == [0x12, 0x00, 0x18, 0x14])
        #expect(try PBNode(decoding: bytes) == node)
        #expect(PBNode.encodedLength(links: node.links, dataLength: 2) == bytes.count)
    }

    @Test func unixfsDataRoundTripsAllFields() throws {
        let d = UnixFSData(type: .file, data: [1, 2, 3], filesize: 300, blocksizes: [100, 200], hashType: 0x22,
                           fanout: 256, mode: 0o644, mtime: .init(seconds: 1_700_000_000, nanos: 5))
        let bytes = d.encode()
        #expect(try UnixFSData(decoding: bytes) == d)
        // blocksizes are not packed: one 0x20 <varint> per entry.
        #expect(bytes.contains(0x20) && Array(bytes[10..<13]) == [0x20, 0x64, 0x20])
    }

    @Test func decoderRejectsMalformedNodes() {
        let cases: [[UInt8]] = [
            [0x0a, 0x05, 0x01],               // data length past the end
            [0x0a, 0x00, 0x12, 0x00],         // link after data
            [0x0a, 0x00, 0x0a, 0x00],         // duplicate data
            [0x12, 0x00],                     // link without hash
            [0x1a, 0x00],                     // unknown field 3
            [0x08, 0x01],                     // wrong wire type for field 1
            [0x12, 0x04, 0x0a, 0x02, 0x01, 0x02],  // link hash that is not a CID
            [0x0a],                           // truncated
        ]
        for c in cases {
            #expect(throws: UnixFSError.self) { try PBNode(decoding: c) }
        }
        #expect(throws: UnixFSError.self) { try UnixFSData(decoding: [0x18, 0x00]) }  // no Type
        #expect(throws: UnixFSError.self) { try UnixFSData(decoding: [0x08, 0x09]) }  // unknown Type
    }

    @Test func decoderNeverCrashesOnRandomOrTruncatedInput() throws {
        var rng = SplitMix64(state: 1234)
        let store = BlockStoreFixtures.memory()
        var o = ImportOptions.unixfsV0_2015
        o.chunkSize = 16
        let root = try Importer(options: o, store: store).addBytes(randomBytes(200, &rng))
        let valid = try store.get(root.cid)
        var decoded = 0
        for i in 0..<12_000 {
            var bytes = valid
            switch i % 3 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            default: bytes = randomBytes(Int.random(in: 0...64, using: &rng), &rng)
            }
            if let node = try? PBNode(decoding: bytes) {
                decoded += 1
                if let d = node.data { _ = try? UnixFSData(decoding: d) }
            }
            _ = try? UnixFSData(decoding: bytes)
        }
        #expect(decoded > 0 && decoded < 12_000)
    }
}

enum KuboCIDs {
    static let helloV0 = "QmZaEQdUN9aj2UXzac2QHgDq5k2PHm6kMi17zJpRwwgKnm"
}
