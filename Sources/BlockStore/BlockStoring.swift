import Foundation
import Multiformats

/// Errors of the block store; each names the CID or path involved.
public enum BlockStoreError: Error, Sendable, CustomStringConvertible {
    case notFound(CID)
    case corrupt(CID)
    case io(path: String, reason: String)
    case unsupportedHash(CID)
    case invalidPinFile(String)
    case notPinned(CID)

    public var description: String {
        switch self {
        case .notFound(let c): return "block \(c) is not in the local store"
        case .corrupt(let c): return "block \(c) is corrupt on disk: its bytes do not match its hash (remove it and add the content again)"
        case .io(let p, let r): return "\(p): \(r)"
        case .unsupportedHash(let c): return "cannot verify \(c): unsupported hash function 0x\(String(c.multihash.code, radix: 16))"
        case .invalidPinFile(let m): return "pin file is unreadable: \(m)"
        case .notPinned(let c): return "\(c) is not pinned"
        }
    }
}

/// A store of blocks keyed by multihash (so a raw CIDv1 and a dag-pb CIDv0 with the same hash
/// share one block, as in Kubo). Implementations are safe to call from several threads.
public protocol BlockStoring: Sendable {
    /// Stores `data` under `cid`'s multihash. The caller vouches that `data` hashes to `cid`
    /// (importers compute the CID from the bytes); use `putVerified` for untrusted input.
    func put(_ data: [UInt8], cid: CID) throws
    /// The same as `put(_:cid:)` for bytes the caller owns only for the duration of the call
    /// (an importer's reusable chunk buffers), so a store that writes them out needs no copy.
    func put(bytes: UnsafeRawBufferPointer, cid: CID) throws
    /// True when large blocks passed to `put(bytes:cid:)` are written fastest if they start on a
    /// page boundary (a store using direct I/O). Importers that lay blocks out in their own
    /// buffers follow it; otherwise they align the payload instead, which copies faster.
    var prefersPageAlignedBlocks: Bool { get }
    /// The block's bytes, verified against the CID's hash. Throws `.notFound` / `.corrupt`.
    func get(_ cid: CID) throws -> [UInt8]
    func has(_ cid: CID) throws -> Bool
    /// Removes the block (no error when absent).
    func delete(_ cid: CID) throws
    /// Every stored block, as raw CIDv1 (the store keeps multihashes, not codecs).
    func allKeys() throws -> [CID]
    /// Makes every `put` so far durable (called once at the end of an add, not per block).
    func sync() throws
    /// Reads the block into `buffer`, which must be exactly the block's size, verifying its hash on the
    /// way (for streaming leaves into a caller's buffer with no intermediate copy). Throws `.corrupt`
    /// when the stored block has another size or other bytes; `buffer` is then garbage.
    func read(_ cid: CID, into buffer: UnsafeMutableRawBufferPointer) throws
    /// Marks a write in flight until the session ends: a collection in any process sharing the
    /// store spares what is stored meanwhile (see `StoreWriters`). Hold it until what was written
    /// is recorded (pinned, committed).
    func beginWrite() -> WriteSession
    /// The time from which a collection starting now must spare blocks (`StoreWriters.collectionCutoff`).
    /// Read it before the live roots: a write that ends after the roots were read started before.
    func collectionCutoff() -> Date
    /// Removes the block unless it was written or re-put at or after `cutoff`; true when removed.
    /// Atomic against a concurrent put: one that finds the block keeps it, one that comes after
    /// the removal writes it again.
    func delete(_ cid: CID, unlessWrittenSince cutoff: Date) throws -> Bool
}

extension BlockStoring {
    /// Stores no other process collects (in memory) need no sessions.
    public func beginWrite() -> WriteSession { .none }
    public func collectionCutoff() -> Date { Date() }
    public func delete(_ cid: CID, unlessWrittenSince cutoff: Date) throws -> Bool {
        guard try has(cid) else { return false }
        try delete(cid)
        return true
    }
}

extension BlockStoring {
    public func read(_ cid: CID, into buffer: UnsafeMutableRawBufferPointer) throws {
        let block = try get(cid)
        guard block.count == buffer.count else { throw BlockStoreError.corrupt(cid) }
        block.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }
}

extension BlockStoring {
    /// Stores that keep the block (in memory, say) need their own copy anyway.
    public func put(bytes: UnsafeRawBufferPointer, cid: CID) throws {
        try put(Array(bytes), cid: cid)
    }

    public var prefersPageAlignedBlocks: Bool { false }
}

extension BlockStoring {
    /// Verifies that `data` hashes to `cid` before storing it (for blocks from outside).
    public func putVerified(_ data: [UInt8], cid: CID) throws {
        let ok: Bool
        do { ok = try cid.multihash.matches(data) } catch { throw BlockStoreError.unsupportedHash(cid) }
        guard ok else { throw BlockStoreError.corrupt(cid) }
        try put(data, cid: cid)
    }
}

/// Verifies a block read from somewhere against its CID.
@inline(__always)
func verify(_ data: [UInt8], _ cid: CID) throws {
    let ok: Bool
    do { ok = try cid.multihash.matches(data) } catch { throw BlockStoreError.unsupportedHash(cid) }
    guard ok else { throw BlockStoreError.corrupt(cid) }
}
