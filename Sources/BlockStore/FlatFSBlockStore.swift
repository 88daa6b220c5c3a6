import Foundation
import Multiformats
#if canImport(Glibc)
import Glibc
#endif

/// Kubo's flatfs layout: `<root>/<next-to-last 2 chars of KEY>/<KEY>.data`, where KEY is the
/// upper-case unpadded base32 of the block's multihash (`CIQ...` for sha2-256).
///
/// Writes go to a temp file in the shard folder and are renamed into place, so a reader never
/// sees half a block. Writes are not fsynced one by one: `sync()` flushes the whole file system
/// once (syncfs), which callers do when an add returns. Every `get` re-hashes the block.
public final class FlatFSBlockStore: BlockStoring, @unchecked Sendable {
    public let root: URL
    private let rootPath: String
    private let lock = NSLock()
    private var knownShards = Set<String>()
    private var dirty = false

    public init(root: URL) throws {
        self.root = root
        rootPath = root.path
        try FlatFSBlockStore.makeDirectory(rootPath)
        let sharding = rootPath + "/SHARDING"
        if !FileManager.default.fileExists(atPath: sharding) {
            try? Data("/repo/flatfs/shard/v1/next-to-last/2\n".utf8).write(to: URL(fileURLWithPath: sharding), options: .atomic)
        }
    }

    /// The flatfs key of a multihash.
    public static func key(for multihash: Multihash) -> String {
        Multibase.base32Upper.encodeWithoutPrefix(multihash.bytes)
    }

    /// The shard folder name for a key: its next-to-last two characters (padded with `_`).
    public static func shard(for key: String) -> String {
        var chars = Array(key.utf8)
        while chars.count < 3 { chars.insert(UInt8(ascii: "_"), at: 0) }
        return String(decoding: chars[(chars.count - 3)..<(chars.count - 1)], as: UTF8.self)
    }

    /// Where the block for `cid` lives (whether or not it exists).
    public func path(for cid: CID) -> String {
        let key = Self.key(for: cid.multihash)
        return "\(rootPath)/\(Self.shard(for: key))/\(key).data"
    }

    public func put(_ data: [UInt8], cid: CID) throws {
        let key = Self.key(for: cid.multihash)
        let shard = Self.shard(for: key)
        let dir = "\(rootPath)/\(shard)"
        let final = "\(dir)/\(key).data"
        var st = stat()
        if stat(final, &st) == 0 && Int(st.st_size) == data.count { return }  // already stored
        if !lock.withLock({ knownShards.contains(shard) }) {
            try Self.makeDirectory(dir)
            lock.withLock { _ = knownShards.insert(shard) }
        }
        let tmp = "\(dir)/.put-\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError(tmp) }
        var written = 0
        let ok: Bool = data.withUnsafeBytes { buf in
            while written < buf.count {
                let n = write(fd, buf.baseAddress! + written, buf.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return true
        }
        if !ok {
            let err = Self.ioError(tmp)
            close(fd); unlink(tmp)
            throw err
        }
        // Start writing the block to disk now (without waiting), so the one sync at the end of an
        // add finds little left to flush and disk I/O overlaps hashing.
        _ = Self.syncFileRange?(fd, 0, 0, 2 /* SYNC_FILE_RANGE_WRITE */)
        close(fd)
        guard rename(tmp, final) == 0 else {
            let err = Self.ioError(final)
            unlink(tmp)
            throw err
        }
        lock.withLock { dirty = true }
    }

    public func get(_ cid: CID) throws -> [UInt8] {
        let p = path(for: cid)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw BlockStoreError.notFound(cid) }
            throw Self.ioError(p)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Self.ioError(p) }
        let size = Int(st.st_size)
        var data = [UInt8](repeating: 0, count: size)
        var got = 0
        try data.withUnsafeMutableBytes { buf in
            while got < size {
                let n = Glibc.read(fd, buf.baseAddress! + got, size - got)
                if n < 0 { if errno == EINTR { continue }; throw Self.ioError(p) }
                if n == 0 { break }
                got += n
            }
        }
        if got != size { data.removeLast(size - got) }
        try verify(data, cid)
        return data
    }

    /// Reads in pieces small enough to stay in cache for the hash that follows each one.
    public func read(_ cid: CID, into buffer: UnsafeMutableRawBufferPointer) throws {
        let p = path(for: cid)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw BlockStoreError.notFound(cid) }
            throw Self.ioError(p)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Self.ioError(p) }
        guard Int(st.st_size) == buffer.count else { throw BlockStoreError.corrupt(cid) }
        var verifier: MultihashVerifier
        do { verifier = try MultihashVerifier(cid.multihash) } catch { throw BlockStoreError.unsupportedHash(cid) }
        let piece = 128 << 10
        var got = 0
        while got < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + got, min(piece, buffer.count - got))
            if n < 0 { if errno == EINTR { continue }; throw Self.ioError(p) }
            if n == 0 { throw BlockStoreError.corrupt(cid) }  // shrank since fstat
            verifier.update(UnsafeRawBufferPointer(rebasing: buffer[got..<(got + n)]))
            got += n
        }
        guard verifier.matches() else { throw BlockStoreError.corrupt(cid) }
    }

    public func has(_ cid: CID) throws -> Bool {
        access(path(for: cid), F_OK) == 0
    }

    public func delete(_ cid: CID) throws {
        let p = path(for: cid)
        if unlink(p) != 0 && errno != ENOENT { throw Self.ioError(p) }
        lock.withLock { dirty = true }
    }

    public func allKeys() throws -> [CID] {
        let fm = FileManager.default
        var out: [CID] = []
        for shard in (try? fm.contentsOfDirectory(atPath: rootPath)) ?? [] where shard.utf8.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: "\(rootPath)/\(shard)")) ?? [] where name.hasSuffix(".data") {
                let key = name.dropLast(5)
                guard let bytes = try? Multibase.base32Upper.decodeWithoutPrefix(key),
                      let mh = try? Multihash(bytes: bytes) else { continue }
                out.append(CID(v1: .raw, multihash: mh))
            }
        }
        return out
    }

    public func sync() throws {
        guard lock.withLock({ dirty }) else { return }
        let fd = open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.ioError(rootPath) }
        defer { close(fd) }
        // One syncfs flushes every block written (data, renames and new folders) in one go.
        if let syncfs = Self.syncfs {
            guard syncfs(fd) == 0 else { throw Self.ioError(rootPath) }
        } else {
            Glibc.sync()
        }
        lock.withLock { dirty = false }
    }

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = {
        guard let sym = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
    }()

    private typealias SyncFS = @convention(c) (Int32) -> Int32
    private static let syncfs: SyncFS? = {
        guard let sym = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(sym, to: SyncFS.self)
    }()

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BlockStoreError.io(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func ioError(_ path: String) -> BlockStoreError {
        .io(path: path, reason: String(cString: strerror(errno)))
    }
}
