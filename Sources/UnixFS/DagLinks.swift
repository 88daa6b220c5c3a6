import Foundation
import Multiformats
import BlockStore

/// The children of a block, for walks that are not UnixFS-aware (gc, CAR export): dag-pb links
/// in stored order; raw blocks have none. Other codecs are treated as leaves.
public enum DagLinks {
    public static func links(of cid: CID, block: [UInt8]) throws -> [CID] {
        guard cid.codec == .dagPB else { return [] }
        return try PBNode(decoding: block).links.map(\.cid)
    }
}

/// Removes every block not reachable from a pin or from `keepAlso` (walked through dag-pb links).
/// Blocks written since `cutoff` are spared (see the BlockStore function).
public func collectGarbage(store: any BlockStoring, pins: PinStore, keepAlso: [CID] = [],
                           sparingWritesSince cutoff: Date? = nil) throws -> GarbageCollectionResult {
    try collectGarbage(store: store, pins: pins, keepAlso: keepAlso, sparingWritesSince: cutoff, links: DagLinks.links(of:block:))
}

extension DagLinks {
    /// Checks that every block of the DAG under `root` is in `store` (and intact), as a
    /// recursive pin needs. Throws the store's `.notFound` / `.corrupt` for the first bad block.
    public static func requireComplete(_ root: CID, in store: any BlockStoring) throws {
        try walk(root, read: store.get) { _, error in throw error }
    }

    /// Walks the DAG under `root` depth first, once per CID. `read` gives a block's verified
    /// bytes; a block it cannot give (or a dag-pb node that does not decode) goes to `onBad`,
    /// which may throw to stop or return to go on past it (its children are then unknown).
    /// The one walker behind `requireComplete` and `repo verify`, so both agree on what "complete" is.
    package static func walk(_ root: CID, read: (CID) throws -> [UInt8],
                             onBad: (CID, any Error) throws -> Void) rethrows {
        var seen = Set<CID>()
        var stack = [root]
        while let cid = stack.popLast() {
            guard seen.insert(cid).inserted else { continue }
            let children: [CID]
            do { children = try links(of: cid, block: try read(cid)) } catch {
                try onBad(cid, error)
                continue
            }
            stack += children
        }
    }
}
