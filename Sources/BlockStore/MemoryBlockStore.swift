import Foundation
import Multiformats

/// Blocks kept in memory (tests, scratch work). Thread-safe.
public final class MemoryBlockStore: BlockStoring, @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Multihash: [UInt8]] = [:]

    public init() {}

    public func put(_ data: [UInt8], cid: CID) throws {
        lock.withLock { blocks[cid.multihash] = data }
    }

    public func get(_ cid: CID) throws -> [UInt8] {
        guard let data = lock.withLock({ blocks[cid.multihash] }) else { throw BlockStoreError.notFound(cid) }
        try verify(data, cid)
        return data
    }

    public func has(_ cid: CID) throws -> Bool { lock.withLock { blocks[cid.multihash] != nil } }
    public func delete(_ cid: CID) throws { _ = lock.withLock { blocks.removeValue(forKey: cid.multihash) } }
    public func allKeys() throws -> [CID] { lock.withLock { blocks.keys.map { CID(v1: .raw, multihash: $0) } } }
    public func sync() throws {}
    public var count: Int { lock.withLock { blocks.count } }
}

/// Discards every block: importing into it only computes CIDs (`add --only-hash`).
public struct NullBlockStore: BlockStoring {
    public init() {}
    public func put(_ data: [UInt8], cid: CID) throws {}
    public func put(bytes: UnsafeRawBufferPointer, cid: CID) throws {}
    public func get(_ cid: CID) throws -> [UInt8] { throw BlockStoreError.notFound(cid) }
    public func has(_ cid: CID) throws -> Bool { false }
    public func delete(_ cid: CID) throws {}
    public func allKeys() throws -> [CID] { [] }
    public func sync() throws {}
}
