import Foundation
import Multiformats
#if canImport(Glibc)
import Glibc
#endif

/// Kubo's flatfs layout: `<root>/<next-to-last 2 chars of KEY>/<KEY>.data`, where KEY is the
/// upper-case unpadded base32 of the block's multihash (`CIQ...` for sha2-256).
///
/// Writes go to a temp file in the shard folder and are renamed into place, so a reader never
/// sees half a block. Writes are not fsynced one by one as they happen: `sync()`, which callers
/// do when an add returns, fsyncs every block file written since the last sync and then their
/// folders (see `sync`). Large page-aligned blocks are written with direct I/O, bypassing the
/// page cache (see `useDirect`). Every `get` re-hashes the block.
public final class FlatFSBlockStore: BlockStoring, @unchecked Sendable {
    public let root: URL
    private let rootPath: String
    private let lock = NSLock()
    private var knownShards = Set<String>()
    /// Block files written and folders changed since the last sync (what `sync` makes durable).
    private var unsyncedFiles: [String] = []
    private var unsyncedDirs = Set<String>()
    /// Past this many unsynced files a put syncs them itself, so the list stays small (~0.5 MB)
    /// however much one add writes.
    private static let unsyncedLimit = 4096
    /// Temp files are `.put-<nonce>-<sequence>.tmp`: a random nonce drawn once per store and a
    /// counter, instead of a fresh random number (a getrandom call) per block.
    private let tempNonce: UInt64
    private var tempSequence: UInt64 = 0
    /// Cleared once the file system refuses direct I/O (see `useDirect`).
    private var directIO = FlatFSBlockStore.oDirect != 0
    /// This process's writes in flight, for collections in others (see `StoreWriters`).
    private let writers: StoreWriters

    public init(root: URL) throws {
        self.root = root
        rootPath = root.path
        let nonce = UInt64.random(in: 0...UInt64.max)
        tempNonce = nonce
        writers = StoreWriters(storeRoot: root.path, nonce: nonce)
        try FlatFSBlockStore.makeDirectory(rootPath)
        Self.markTopDirectory(rootPath)
        let sharding = rootPath + "/SHARDING"
        if !FileManager.default.fileExists(atPath: sharding) {
            try? Data("/repo/flatfs/shard/v1/next-to-last/2\n".utf8).write(to: URL(fileURLWithPath: sharding), options: .atomic)
            // A new store: the next sync makes it durable too, up to its entry in the parent.
            unsyncedFiles.append(sharding)
            unsyncedDirs.insert(rootPath)
            unsyncedDirs.insert(root.deletingLastPathComponent().path)
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
        try data.withUnsafeBytes { try put(bytes: $0, cid: cid) }
    }

    public func put(bytes data: UnsafeRawBufferPointer, cid: CID) throws {
        let key = Self.key(for: cid.multihash)
        let shard = Self.shard(for: key)
        let dir = "\(rootPath)/\(shard)"
        let final = "\(dir)/\(key).data"
        var st = stat()
        if stat(final, &st) == 0 && Int(st.st_size) == data.count {
            // Already stored: refresh its time, so a collection in another process sees it in use
            // (see StoreWriters). Gone meanwhile (collected): write it again below.
            if utimensat(AT_FDCWD, final, nil, 0) == 0 || errno != ENOENT { return }
        }
        let (shardKnown, seq) = lock.withLock { () -> (Bool, UInt64) in
            tempSequence &+= 1
            return (knownShards.contains(shard), tempSequence)
        }
        if !shardKnown {
            try Self.makeDirectory(dir)
            lock.withLock { _ = knownShards.insert(shard); unsyncedDirs.insert(rootPath) }
        }
        // Unique within this store by the sequence number and across processes by the nonce;
        // O_EXCL still refuses a clash rather than sharing a temp file.
        let tmp = "\(dir)/.put-\(tempNonce)-\(seq).tmp"
        let direct = useDirect(for: data)
        var fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (direct ? Self.oDirect : 0), 0o644)
        if fd < 0 && direct && errno == EINVAL {  // a file system without direct I/O (tmpfs)
            lock.withLock { directIO = false }
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        if fd < 0 && errno == ENOENT && shardKnown {
            // The shard folder went away since it was made (a cache emptied by hand): make it again.
            try Self.makeDirectory(dir)
            lock.withLock { _ = unsyncedDirs.insert(rootPath) }
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (useDirect(for: data) ? Self.oDirect : 0), 0o644)
        }
        guard fd >= 0 else { throw Self.ioError(tmp) }
        guard writeAll(fd, data, direct: direct) else {
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
        // Noted only once in place, so a sync running meanwhile never skips it as absent.
        let due = lock.withLock { () -> Bool in
            unsyncedFiles.append(final)
            unsyncedDirs.insert(dir)
            return unsyncedFiles.count >= Self.unsyncedLimit
        }
        if due { try syncFiles() }
    }

    // MARK: writing a block

    public var prefersPageAlignedBlocks: Bool { lock.withLock { directIO } }

    /// Whether a block goes to disk with direct I/O: large blocks whose start is page-aligned
    /// (the importer lays its chunk buffers out so that full chunks are).
    ///
    /// Why: on this kind of machine filling fresh page-cache pages costs far more than hashing
    /// (about 2.4 s of kernel time per GiB, against 0.1 s to overwrite cached pages), while a
    /// direct write hands the caller's buffer to the disk with no page cache at all. Durability
    /// is unchanged: the data is on the device when the write returns, and `sync()` (fsync)
    /// still commits the files' metadata and flushes the device cache before an add returns.
    private func useDirect(for data: UnsafeRawBufferPointer) -> Bool {
        #if os(Linux)
        guard data.count >= Self.directMinimum, let base = data.baseAddress,
              UInt(bitPattern: base) % UInt(Self.directAlignment) == 0 else { return false }
        return lock.withLock { directIO }
        #else
        return false
        #endif
    }

    /// Writes all of `data` at the start of a new file. With `direct`, the page-multiple prefix
    /// goes by direct I/O and the short rest by an ordinary write (direct I/O needs whole
    /// pages); if the file system refuses direct I/O, the descriptor drops it and carries on.
    private func writeAll(_ fd: Int32, _ data: UnsafeRawBufferPointer, direct: Bool) -> Bool {
        let base = data.baseAddress!
        var written = 0
        if direct {
            let directEnd = data.count & ~(Self.directAlignment - 1)
            // A short direct write would leave an unaligned offset: the rest then goes buffered.
            while written < directEnd && written % Self.directAlignment == 0 {
                let n = write(fd, base + written, directEnd - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    // Stricter alignment than pages: stop trying direct I/O on this store.
                    if errno == EINVAL { lock.withLock { directIO = false }; break }
                    return false
                }
                written += n
            }
            // The file was opened with no other status flag, so clearing them all clears O_DIRECT.
            if written < data.count {
                guard fcntl(fd, F_SETFL, 0) == 0 else { return false }
            }
        }
        while written < data.count {
            let n = write(fd, base + written, data.count - written)
            if n < 0 { if errno == EINTR { continue }; return false }
            written += n
        }
        return true
    }

    /// Direct I/O needs page-aligned memory and lengths; small blocks are cheaper buffered.
    static let directAlignment = 4096
    static let directMinimum = 64 << 10

    #if arch(x86_64)
    static let oDirect: Int32 = 0o40000
    #elseif arch(arm64)
    static let oDirect: Int32 = 0o200000
    #else
    static let oDirect: Int32 = 0
    #endif

    /// The block's file, open for reading, with its path and size (the caller closes it).
    private func openBlock(_ cid: CID) throws -> (fd: Int32, path: String, size: Int) {
        let p = path(for: cid)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw BlockStoreError.notFound(cid) }
            throw Self.ioError(p)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let err = Self.ioError(p)
            close(fd)
            throw err
        }
        return (fd, p, Int(st.st_size))
    }

    public func get(_ cid: CID) throws -> [UInt8] {
        let (fd, p, size) = try openBlock(cid)
        defer { close(fd) }
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
        let (fd, p, size) = try openBlock(cid)
        defer { close(fd) }
        guard size == buffer.count else { throw BlockStoreError.corrupt(cid) }
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
        let dir = String(p[..<p.lastIndex(of: "/")!])
        lock.withLock { _ = unsyncedDirs.insert(dir) }
    }

    public func beginWrite() -> WriteSession { writers.begin() }

    public func collectionCutoff() -> Date { StoreWriters.collectionCutoff(storeRoot: rootPath) }

    public func delete(_ cid: CID, unlessWrittenSince cutoff: Date) throws -> Bool {
        let p = path(for: cid)
        let dir = String(p[..<p.lastIndex(of: "/")!])
        // Moved aside first, then its time read: a put that refreshed the block before the move
        // shows in that time (and the block goes back), one after it finds no block and writes it
        // again. The aside name is a temp file's, which gc's stale-temp cleanup removes after a crash.
        let seq = lock.withLock { () -> UInt64 in tempSequence &+= 1; return tempSequence }
        let aside = "\(dir)/.put-\(tempNonce)-\(seq).tmp"
        guard rename(p, aside) == 0 else {
            if errno == ENOENT { return false }
            throw Self.ioError(p)
        }
        var st = stat()
        if stat(aside, &st) == 0 {
            let written = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            if written >= cutoff.timeIntervalSince1970 {
                guard rename(aside, p) == 0 else { throw Self.ioError(p) }
                return false
            }
        }
        if unlink(aside) != 0 && errno != ENOENT { throw Self.ioError(aside) }
        lock.withLock { _ = unsyncedDirs.insert(dir) }
        return true
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

    /// Temp files of puts that never reached their rename: a writer killed mid-put (kill -9, power
    /// loss) leaves one, `allKeys` skips it and nothing else ever removed it, so its bytes leaked for
    /// good. A live put renames its temp file right after one block's write, so a file older than
    /// `age` seconds has no writer left; younger ones may belong to another process still writing.
    package func tempFiles(olderThan age: TimeInterval = 0) -> [String] {
        let fm = FileManager.default
        let cutoff = Date().addingTimeInterval(-age)
        var out: [String] = []
        for shard in (try? fm.contentsOfDirectory(atPath: rootPath)) ?? [] where shard.utf8.count == 2 {
            let dir = "\(rootPath)/\(shard)"
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(".put-") && name.hasSuffix(".tmp") {
                let p = "\(dir)/\(name)"
                if let m = (try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date, m <= cutoff { out.append(p) }
            }
        }
        return out
    }

    /// Removes the temp files `tempFiles(olderThan:)` lists; returns how many went.
    package func removeStaleTempFiles(olderThan age: TimeInterval) -> Int {
        tempFiles(olderThan: age).reduce(0) { $0 + (unlink($1) == 0 ? 1 : 0) }
    }

    /// Makes every put and delete so far durable: fsyncs each block file written since the last
    /// sync, then each folder whose entries changed (the renames, new shard folders, deletions).
    ///
    /// Why not one syncfs: it flushes the whole file system, so an add would also wait for every
    /// other program's dirty data (the very file being added, just written, among them). The
    /// per-file fsyncs are cheap in bulk: the data of direct-I/O blocks is already on the device,
    /// and on a journaled file system the first fsync commits the transaction holding the rest.
    public func sync() throws {
        try syncFiles()
        let dirs = lock.withLock { () -> [String] in
            let d = Array(unsyncedDirs)
            unsyncedDirs.removeAll()
            return d
        }
        // Shard folders before the root, so a new shard is complete when its entry is durable.
        try Self.fsyncAll(dirs.sorted { $0.utf8.count > $1.utf8.count }, directories: true)
    }

    /// fsyncs the block files noted so far (from `sync`, or from a put when the list is long).
    private func syncFiles() throws {
        let files = lock.withLock { () -> [String] in
            let f = unsyncedFiles
            unsyncedFiles.removeAll(keepingCapacity: true)
            return f
        }
        try Self.fsyncAll(files, directories: false)
    }

    /// fsyncs each path (a path that no longer exists is skipped: deleted or never written),
    /// spread over a few threads since each call may wait on the device.
    private static func fsyncAll(_ paths: [String], directories: Bool) throws {
        guard !paths.isEmpty else { return }
        let flags = O_RDONLY | O_CLOEXEC | (directories ? O_DIRECTORY : 0)
        let lanes = min(4, paths.count)
        let failure = LockedError()
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            var i = lane
            while i < paths.count {
                let fd = open(paths[i], flags)
                if fd >= 0 {
                    if fsync(fd) != 0 { failure.set(ioError(paths[i])) }
                    close(fd)
                } else if errno != ENOENT {
                    failure.set(ioError(paths[i]))
                }
                i += lanes
            }
        }
        if let e = failure.value { throw e }
    }

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = {
        guard let sym = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
    }()

    /// Hints ext4 that the shard folders are unrelated top-level trees (the "T" attribute, as
    /// `chattr +T` sets it), so it spreads them over block groups with free room instead of
    /// packing them beside the parent. Why: ext4 skips inodes freed in the last minutes when it
    /// allocates, scanning past each one, so thousands of new block files created next to
    /// thousands just deleted (a previous store, a gc) cost seconds of kernel time. Best effort:
    /// other file systems refuse or ignore it.
    private static func markTopDirectory(_ path: String) {
        #if os(Linux)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var flags: Int = 0
        let getFlags: UInt = 0x8008_6601  // FS_IOC_GETFLAGS
        let setFlags: UInt = 0x4008_6602  // FS_IOC_SETFLAGS
        let topDir = 0x0002_0000  // FS_TOPDIR_FL
        guard ioctl(fd, getFlags, &flags) == 0, flags & topDir == 0 else { return }
        flags |= topDir
        _ = ioctl(fd, setFlags, &flags)
        #endif
    }

    /// mkdir(2) first: a shard folder's parent always exists, and Foundation's recursive create costs
    /// more than the block write it precedes (measured at 12% of a pull-through into a fresh store).
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BlockStoreError.io(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    /// The first error of a parallel loop.
    private final class LockedError: @unchecked Sendable {
        private let lock = NSLock()
        private var first: BlockStoreError?
        func set(_ e: BlockStoreError) { lock.withLock { if first == nil { first = e } } }
        var value: BlockStoreError? { lock.withLock { first } }
    }

    static func ioError(_ path: String) -> BlockStoreError {
        .io(path: path, reason: String(cString: strerror(errno)))
    }
}
