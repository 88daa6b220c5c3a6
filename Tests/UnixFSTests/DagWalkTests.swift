import Foundation
import Testing
import BlockStore
import Multiformats
import UnixFS

/// `DagLinks.walk`, behind `repo verify`: every bad block under a root is reported, not only the
/// first, and the walk goes on past it; `requireComplete` still stops at the first.
@Suite struct DagWalkTests {
    @Test func everyMissingOrCorruptBlockIsReportedOnce() throws {
        let store = MemoryBlockStore()
        let leaves = (0..<4).map { i in [UInt8](repeating: UInt8(i), count: 100 + i) }
        let leafCIDs = leaves.map { CID.hashing($0, codec: .raw, version: .v1) }
        for (b, c) in zip(leaves, leafCIDs) where b[0] != 1 { try store.put(b, cid: c) }  // leaf 1 missing
        // Two parents share leaf 1, so it is found twice but reported once.
        let inner = PBNode(links: [PBLink(cid: leafCIDs[1], tsize: 101), PBLink(cid: leafCIDs[2], tsize: 102)], data: nil).encode()
        let innerCID = CID.hashing(inner, codec: .dagPB, version: .v1)
        try store.put(inner, cid: innerCID)
        let root = PBNode(links: [PBLink(cid: leafCIDs[0], tsize: 100), PBLink(cid: innerCID, tsize: 203),
                                  PBLink(cid: leafCIDs[1], tsize: 101), PBLink(cid: leafCIDs[3], tsize: 103)], data: nil).encode()
        let rootCID = CID.hashing(root, codec: .dagPB, version: .v1)
        try store.put(root, cid: rootCID)
        var bad: [CID] = []
        var read: [CID] = []
        // Leaf 3 reads as corrupt (a store whose bytes rotted).
        try DagLinks.walk(rootCID, read: { cid in
            read.append(cid)
            if cid == leafCIDs[3] { throw BlockStoreError.corrupt(cid) }
            return try store.get(cid)
        }, onBad: { cid, _ in bad.append(cid) })
        #expect(Set(bad) == [leafCIDs[1], leafCIDs[3]] && bad.count == 2)
        #expect(Set(read) == Set(leafCIDs + [innerCID, rootCID]) && read.count == 6)
        #expect(throws: BlockStoreError.self) { try DagLinks.requireComplete(rootCID, in: store) }
        #expect(throws: Never.self) { try DagLinks.requireComplete(leafCIDs[0], in: store) }
    }
}
