import Foundation
import Multiformats
import BlockStore
#if canImport(Glibc)
import Glibc
#endif

/// One line of `add` output: the entry's path as Kubo prints it, its CID and cumulative size.
public struct AddedEntry: Sendable, Equatable {
    /// `name` for a top-level item, `dir/sub/file` inside a directory, "" for a `-w` wrapper.
    public let path: String
    public let cid: CID
    /// Cumulative DAG size (Kubo's "Size").
    public let size: UInt64
    public let isDirectory: Bool

    public init(path: String, cid: CID, size: UInt64, isDirectory: Bool) {
        self.path = path
        self.cid = cid
        self.size = size
        self.isDirectory = isDirectory
    }
}

/// Turns bytes, files and folders into UnixFS DAGs in a block store, as `ipfs add` does.
///
/// Files stream through a `FileBuilder` (memory stays bounded); folders are walked with entries
/// in name-byte order, names starting with "." skipped unless `options.hidden`, symlinks stored
/// as UnixFS symlinks (never followed). The store is synced once when an add returns.
public struct Importer {
    public let options: ImportOptions
    public let store: any BlockStoring
    /// Running count of file bytes imported (for progress bars).
    public var progress: ((UInt64) -> Void)?

    public init(options: ImportOptions = .unixfsV0_2015, store: any BlockStoring) {
        self.options = options
        self.store = store
    }

    /// Imports bytes held in memory as one file.
    public func addBytes(_ bytes: [UInt8]) throws -> ImportedNode {
        try options.validate()
        let b = FileBuilder(options: options, store: store)
        try b.append(bytes)
        let root = try b.finish()
        try store.sync()
        return root
    }

    /// Imports one regular file, streaming it.
    public func addFile(at url: URL) throws -> ImportedNode {
        try options.validate()
        var done: UInt64 = 0
        let root = try importFile(url.path, bytesBefore: &done)
        try store.sync()
        return root
    }

    /// Imports one path (file, symlink, or with `recursive` a folder). Returns every entry in
    /// Kubo's output order: files as walked, then folders innermost first; the root comes last
    /// (with `wrapWithDirectory`, the wrapper, whose path is "").
    public func addPath(_ url: URL, recursive: Bool) throws -> [AddedEntry] {
        try addPaths([url], recursive: recursive)
    }

    /// Imports several paths; with `wrapWithDirectory` they share one wrapper directory.
    public func addPaths(_ urls: [URL], recursive: Bool) throws -> [AddedEntry] {
        try options.validate()
        var files: [AddedEntry] = []
        var dirs: [AddedEntry] = []
        var wrapper = DirectoryBuilder(options: options, store: store)
        var done: UInt64 = 0
        for url in urls {
            let path = url.path
            let name = Self.baseName(path)
            let node = try importAny(path, display: name, recursive: recursive, topLevel: true,
                                     files: &files, dirs: &dirs, done: &done)
            if options.wrapWithDirectory { try wrapper.add(name: name, node: node) }
        }
        var out = files + dirs
        if options.wrapWithDirectory {
            let w = try wrapper.finish()
            out.append(AddedEntry(path: "", cid: w.cid, size: w.tsize, isDirectory: true))
        }
        try store.sync()
        return out
    }

    // MARK: walking

    private func importAny(_ path: String, display: String, recursive: Bool, topLevel: Bool,
                           files: inout [AddedEntry], dirs: inout [AddedEntry], done: inout UInt64) throws -> ImportedNode {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw Self.ioError(path) }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let node = try importFile(path, bytesBefore: &done)
            files.append(AddedEntry(path: display, cid: node.cid, size: node.tsize, isDirectory: false))
            return node
        case S_IFLNK:
            let node = try importSymlink(path)
            files.append(AddedEntry(path: display, cid: node.cid, size: node.tsize, isDirectory: false))
            return node
        case S_IFDIR:
            guard recursive else { throw UnixFSError.invalidOption("\(path) is a directory, use -r to add directories") }
            var dir = DirectoryBuilder(options: options, store: store)
            for name in try Self.listDirectory(path) where options.hidden || !name.hasPrefix(".") {
                let child = try importAny(path + "/" + name, display: display + "/" + name, recursive: true,
                                          topLevel: false, files: &files, dirs: &dirs, done: &done)
                try dir.add(name: name, node: child)
            }
            let node = try dir.finish()
            dirs.append(AddedEntry(path: display, cid: node.cid, size: node.tsize, isDirectory: true))
            return node
        default:
            throw UnixFSError.unsupportedFileType(path: path)
        }
    }

    private func importFile(_ path: String, bytesBefore done: inout UInt64) throws -> ImportedNode {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.ioError(path) }
        defer { close(fd) }
        let b = FileBuilder(options: options, store: store)
        let base = done
        if let progress { b.progress = { progress(base + $0) } }
        guard try b.appendContents(of: fd) else { throw Self.ioError(path) }
        let node = try b.finish()
        done += node.size
        return node
    }

    private func importSymlink(_ path: String) throws -> ImportedNode {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { throw Self.ioError(path) }
        let target = Array(buf[0..<n].map { UInt8(bitPattern: $0) })
        let data = UnixFSData(type: .symlink, data: target).encode()
        return try DirectoryBuilder.store(PBNode(links: [], data: data), options: options, store: store)
    }

    /// Entry names in byte order (as Go's os.ReadDir sorts them).
    static func listDirectory(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw ioError(path) }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            // Read the name in place: copying `d_name` (256 bytes) read past the end of a short
            // record at the end of glibc's buffer (AddressSanitizer, scripts/sanitize address).
            let name = String(cString: (UnsafeRawPointer(e) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
                .assumingMemoryBound(to: CChar.self))
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        if let slash = p.lastIndex(of: "/") { p = p[p.index(after: slash)...] }
        return p.isEmpty || p == "." ? URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent : String(p)
    }

    static func ioError(_ path: String) -> UnixFSError {
        .io(path: path, reason: String(cString: strerror(errno)))
    }
}
