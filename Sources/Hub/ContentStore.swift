import BlockStore
import Foundation
import Multiformats
import NIOCore
import NIOPosix
import UnixFS

/// What the hub knows about stored bytes.
public struct StoredContent: Sendable, Equatable {
    public var cid: String
    public var size: Int64
    public var sha256: String
    public var gitSHA1: String
}

/// Errors of the content layer, with messages that say what to do.
public enum ContentStoreError: Error, CustomStringConvertible {
    case missing(String)
    case io(String)
    public var description: String {
        switch self {
        case .missing(let cid): return "content \(cid) is not in the block store"
        case .io(let why): return "content store: \(why)"
        }
    }
}

/// The hub's view of the block store: every file is imported as UnixFS (profile unixfs-v1-2025:
/// CIDv1, raw 1 MiB leaves), so identical content is stored once and has one CID; bytes come back
/// through the exporter's ranged reads, a segment at a time.
public final class ContentStore: Sendable {
    public let blocks: any BlockStoring
    let exporter: Exporter
    let tmp: URL
    static let options = ImportOptions.unixfsV1_2025
    static let chunkSize = 1 << 20

    public init(blocks: any BlockStoring, tmpDirectory: URL) throws {
        self.blocks = blocks
        self.exporter = Exporter(store: blocks)
        self.tmp = tmpDirectory
        do {
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        } catch {
            throw ContentStoreError.io("cannot create \(tmp.path): \(error.localizedDescription)")
        }
    }

    /// Removes upload leftovers of a previous run (multipart parts); blocks need no cleanup.
    public func cleanTemporaryFiles() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: tmp.path)) ?? [] where name.hasPrefix("lfs-parts-") {
            try? fm.removeItem(at: tmp.appendingPathComponent(name))
        }
    }

    /// Starts storing one file. `expectedSize`, when known, lets the git sha1 be computed in the same pass.
    func writer(expectedSize: Int64?) -> ContentWriter {
        ContentWriter(store: self, expectedSize: expectedSize)
    }

    func parse(_ cid: String) throws -> CID {
        do { return try CID(cid) } catch { throw ContentStoreError.missing(cid) }
    }

    func size(cid: String) throws -> Int64 {
        Int64(try exporter.fileSize(try parse(cid)))
    }

    func contains(cid: String) -> Bool {
        guard let c = try? CID(cid) else { return false }
        return (try? blocks.has(c)) ?? false
    }

    /// Leaves read ahead of the one being sent: enough to keep both cores busy (one hashing, one
    /// writing to the socket), little enough to bound memory per download (a few MiB).
    static let readAhead = 4

    /// Passes bytes `offset ..< offset+length` of the file to `body` in order, a leaf at a time. Each
    /// leaf is read straight into the buffer that is sent and verified against its CID before `body`
    /// sees it, so a corrupt block stops the stream before its bytes go out. Leaves of a larger file
    /// are read on NIO's thread pool, `readAhead` at most in flight, while `body` sends the previous
    /// ones; a file of one leaf (most small files) is read on the calling thread, as a hop to the pool
    /// and back would cost more than the read.
    func forEachVerifiedBuffer(cid: String, fileSize: Int64?, offset: Int64, length: Int64,
                               _ body: (ByteBuffer) async throws -> Void) async throws {
        let root = try parse(cid)
        var pieces = FilePieces(exporter: exporter, cid: root, size: fileSize.map(UInt64.init),
                                from: UInt64(offset), to: UInt64(offset + length))
        let blocks = self.blocks
        var sent: Int64 = 0
        var first: [FilePiece] = []
        while first.count < 2, let piece = try pieces.next() { first.append(piece) }
        if first.count == 1 {
            let buffer = try Self.load(first[0], from: blocks)
            sent = Int64(buffer.readableBytes)
            try await body(buffer)
        } else if !first.isEmpty {
            try await withThrowingTaskGroup(of: (Int, ByteBuffer).self) { group in
                var launched = 0, next = 0
                var ready: [Int: ByteBuffer] = [:]
                var exhausted = false
                while true {
                    while !exhausted && launched - next < Self.readAhead {
                        let piece: FilePiece
                        if launched < first.count { piece = first[launched] } else {
                            guard let p = try pieces.next() else { exhausted = true; break }
                            piece = p
                        }
                        let index = launched
                        launched += 1
                        group.addTask {
                            (index, try await NIOThreadPool.singleton.runIfActive { try Self.load(piece, from: blocks) })
                        }
                    }
                    if next == launched { break }
                    while ready[next] == nil {
                        guard let (index, buffer) = try await group.next() else { break }
                        ready[index] = buffer
                    }
                    guard let buffer = ready.removeValue(forKey: next) else { break }
                    next += 1
                    sent += Int64(buffer.readableBytes)
                    try await body(buffer)
                }
            }
        }
        guard sent == length else { throw ContentStoreError.io("\(cid) ended after \(sent) of \(length) bytes") }
    }

    private static func load(_ piece: FilePiece, from blocks: any BlockStoring) throws -> ByteBuffer {
        switch piece {
        case .bytes(let bytes):
            return ByteBuffer(bytes: bytes)
        case .rawLeaf(let cid, let blockSize, let range):
            var buffer = ByteBufferAllocator().buffer(capacity: blockSize)
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: blockSize) { space in
                try blocks.read(cid, into: UnsafeMutableRawBufferPointer(rebasing: space[0..<blockSize]))
                return blockSize
            }
            return buffer.getSlice(at: range.lowerBound, length: range.count)!
        }
    }

    /// The git blob sha1 of stored content, by reading it back (used when the size was unknown while writing).
    func gitSHA1(cid: String, size: Int64) throws -> String {
        var hasher = ContentHasher(expectedSize: size)
        try exporter.forEachChunk(try parse(cid)) { slice in
            slice.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize().gitSHA1 ?? ""
    }
}

/// Receives one file's bytes incrementally, hashing them on the way into the UnixFS importer.
final class ContentWriter: @unchecked Sendable {
    private let store: ContentStore
    private let expectedSize: Int64?
    private var hasher: ContentHasher
    private let builder: FileBuilder

    init(store: ContentStore, expectedSize: Int64?) {
        self.store = store
        self.expectedSize = expectedSize
        self.hasher = ContentHasher(expectedSize: expectedSize)
        self.builder = FileBuilder(options: ContentStore.options, store: store.blocks)
    }

    var count: Int64 { hasher.count }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        try builder.append(bytes.assumingMemoryBound(to: UInt8.self))
    }

    func append(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try append($0) }
    }

    /// Completes the DAG and makes its blocks durable.
    func finish() throws -> StoredContent {
        let root = try builder.finish()
        try store.blocks.sync()
        let (sha256, sha1) = hasher.finalize()
        let cid = root.cid.description
        let size = hasher.count
        let git: String
        if let sha1, expectedSize == size { git = sha1 } else { git = try store.gitSHA1(cid: cid, size: size) }
        return StoredContent(cid: cid, size: size, sha256: sha256, gitSHA1: git)
    }

    /// Drops a partial upload: its blocks stay unreferenced (no repo or pin reaches them).
    func abort() {}
}
