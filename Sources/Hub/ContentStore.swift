import Foundation
import NIOCore

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

/// The hub's view of the block store: files go in through a streaming writer and come out as
/// ranged streams. (Interim layout until the UnixFS importer lands: one file per content.)
public final class ContentStore: Sendable {
    let root: URL
    let tmp: URL
    static let chunkSize = 256 * 1024

    public init(dataDirectory: URL) throws {
        root = dataDirectory.appendingPathComponent("hub-objects")
        tmp = dataDirectory.appendingPathComponent("tmp")
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        } catch {
            throw ContentStoreError.io("cannot create \(root.path): \(error.localizedDescription)")
        }
    }

    /// Starts storing one file. `expectedSize`, when known, lets the git sha1 be computed in the same pass.
    func writer(expectedSize: Int64?) throws -> ContentWriter {
        try ContentWriter(store: self, expectedSize: expectedSize)
    }

    func path(cid: String) -> String {
        root.appendingPathComponent(cid).path
    }

    func size(cid: String) throws -> Int64 {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path(cid: cid)),
              let size = attrs[.size] as? NSNumber else { throw ContentStoreError.missing(cid) }
        return size.int64Value
    }

    func contains(cid: String) -> Bool { FileManager.default.fileExists(atPath: path(cid: cid)) }

    /// Streams `length` bytes from `offset`, in chunks, without loading the file.
    func stream(cid: String, offset: Int64, length: Int64) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let path = path(cid: cid)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    guard let handle = FileHandle(forReadingAtPath: path) else { throw ContentStoreError.missing(cid) }
                    defer { try? handle.close() }
                    try handle.seek(toOffset: UInt64(offset))
                    var remaining = length
                    while remaining > 0 {
                        try Task.checkCancellation()
                        let n = Int(min(Int64(Self.chunkSize), remaining))
                        guard let data = try handle.read(upToCount: n), !data.isEmpty else {
                            throw ContentStoreError.io("\(cid) ended early")
                        }
                        remaining -= Int64(data.count)
                        continuation.yield(ByteBuffer(bytes: data))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The git blob sha1 of stored content, by reading it back (used when the size was unknown while writing).
    func gitSHA1(cid: String, size: Int64) throws -> String {
        var hasher = ContentHasher(expectedSize: size)
        guard let handle = FileHandle(forReadingAtPath: path(cid: cid)) else { throw ContentStoreError.missing(cid) }
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: Self.chunkSize), !data.isEmpty {
            data.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize().gitSHA1 ?? ""
    }
}

/// Receives one file's bytes incrementally, hashing them on the way.
final class ContentWriter: @unchecked Sendable {
    private let store: ContentStore
    private let expectedSize: Int64?
    private var hasher: ContentHasher
    private let tmpURL: URL
    private let handle: FileHandle
    private var pending = [UInt8]()
    private var closed = false

    init(store: ContentStore, expectedSize: Int64?) throws {
        self.store = store
        self.expectedSize = expectedSize
        self.hasher = ContentHasher(expectedSize: expectedSize)
        tmpURL = store.tmp.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: tmpURL.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: tmpURL.path) else {
            throw ContentStoreError.io("cannot create \(tmpURL.path)")
        }
        self.handle = handle
        pending.reserveCapacity(ContentStore.chunkSize)
    }

    var count: Int64 { hasher.count }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        pending.append(contentsOf: bytes)
        if pending.count >= ContentStore.chunkSize { try flush() }
    }

    func append(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try append($0) }
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        do { try handle.write(contentsOf: pending) } catch { throw ContentStoreError.io("write failed: \(error.localizedDescription)") }
        pending.removeAll(keepingCapacity: true)
    }

    /// Stores what was appended; identical content is stored once.
    func finish() throws -> StoredContent {
        try flush()
        try handle.close()
        closed = true
        let (sha256, sha1) = hasher.finalize()
        let cid = sha256
        let dest = store.path(cid: cid)
        if FileManager.default.fileExists(atPath: dest) {
            try? FileManager.default.removeItem(at: tmpURL)
        } else if rename(tmpURL.path, dest) != 0 {
            throw ContentStoreError.io("cannot move upload into place: errno \(errno)")
        }
        let size = hasher.count
        let git: String
        if let sha1, expectedSize == size { git = sha1 } else { git = try store.gitSHA1(cid: cid, size: size) }
        return StoredContent(cid: cid, size: size, sha256: sha256, gitSHA1: git)
    }

    /// Drops a partial upload.
    func abort() {
        if !closed { try? handle.close(); closed = true }
        try? FileManager.default.removeItem(at: tmpURL)
    }

    deinit {
        if !closed { try? handle.close(); try? FileManager.default.removeItem(at: tmpURL) }
    }
}
