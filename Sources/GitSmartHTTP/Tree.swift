/// A tree entry's mode. Git only writes a handful of modes, but older or
/// foreign trees may contain others (e.g. 100664), so parsing keeps the raw
/// octal value instead of failing.
public struct FileMode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let regular = FileMode(rawValue: 0o100644)
    public static let executable = FileMode(rawValue: 0o100755)
    public static let symlink = FileMode(rawValue: 0o120000)
    public static let directory = FileMode(rawValue: 0o40000)
    /// A submodule entry: the id names a commit in another repository.
    public static let gitlink = FileMode(rawValue: 0o160000)

    public var isDirectory: Bool { rawValue & 0o170000 == 0o040000 }
    public var isGitlink: Bool { rawValue & 0o170000 == 0o160000 }

    /// The object type the entry's id refers to.
    public var objectType: ObjectType {
        if isDirectory { return .tree }
        if isGitlink { return .commit }
        return .blob
    }

    /// Octal without leading zeros, exactly as git writes it ("40000").
    public var octal: String { String(rawValue, radix: 8) }
    public var description: String { octal }
}

public struct TreeEntry: Hashable, Sendable {
    public var mode: FileMode
    /// The entry name as raw bytes: git does not require names to be UTF-8.
    public var name: [UInt8]
    public var id: ObjectID

    public init(mode: FileMode, name: [UInt8], id: ObjectID) {
        self.mode = mode
        self.name = name
        self.id = id
    }

    public init(mode: FileMode, name: String, id: ObjectID) {
        self.init(mode: mode, name: Array(name.utf8), id: id)
    }

    public var nameString: String { String(decoding: name, as: UTF8.self) }

    /// Whether the name is safe to turn into a path component: git's fsck
    /// refuses these too, and a hub writing files from a pushed tree must
    /// never see "..", "/" or ".git".
    public var hasSafeName: Bool {
        guard !name.isEmpty, !name.contains(UInt8(ascii: "/")), !name.contains(0) else { return false }
        if name == Array(".".utf8) || name == Array("..".utf8) { return false }
        return nameString.lowercased() != ".git"
    }
}

public struct Tree: Hashable, Sendable {
    /// Entries in git's canonical order (see `canonicalOrder`).
    public private(set) var entries: [TreeEntry]

    /// Sorts the given entries canonically; duplicates are the caller's bug
    /// and are rejected by `TreeBuilder`, not here.
    public init(entries: [TreeEntry]) {
        self.entries = entries.sorted(by: Tree.canonicalOrder)
    }

    /// Git orders entries by name bytes, but compares a directory's name as
    /// if it ended in "/": so "a.txt" < "a/" < "a0" even though "a" < "a.txt".
    /// Getting this wrong yields a different (and, to git fsck, invalid) tree.
    public static func canonicalOrder(_ l: TreeEntry, _ r: TreeEntry) -> Bool {
        let slash = UInt8(ascii: "/")
        let n = min(l.name.count, r.name.count)
        for i in 0..<n where l.name[i] != r.name[i] {
            return l.name[i] < r.name[i]
        }
        // One name is a prefix of the other: compare the next "virtual" byte.
        let lc: UInt8? = l.name.count > n ? l.name[n] : (l.mode.isDirectory ? slash : nil)
        let rc: UInt8? = r.name.count > n ? r.name[n] : (r.mode.isDirectory ? slash : nil)
        switch (lc, rc) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case let (x?, y?): return x < y
        }
    }

    /// Canonical content bytes: "<octal mode> <name>\0<20-byte id>" repeated.
    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(entries.count * 40)
        for e in entries {
            out.append(contentsOf: e.mode.octal.utf8)
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: e.name)
            out.append(0)
            out.append(contentsOf: e.id.bytes)
        }
        return out
    }

    public var object: GitObject { GitObject(type: .tree, data: serialized()) }
    public var id: ObjectID { object.id }

    /// Parses tree content. Order is kept as found (a pushed tree that is
    /// out of order still has the id it has); malformed bytes throw.
    public static func parse(_ data: [UInt8]) throws(GitObjectError) -> Tree {
        var entries = [TreeEntry]()
        var i = 0
        while i < data.count {
            var mode: UInt32 = 0
            var digits = 0
            while i < data.count, data[i] != UInt8(ascii: " ") {
                let d = data[i]
                guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7"), digits < 7 else {
                    throw .malformedTree("bad mode")
                }
                mode = mode << 3 | UInt32(d - UInt8(ascii: "0"))
                digits += 1
                i += 1
            }
            guard digits > 0, i < data.count else { throw .malformedTree("truncated mode") }
            i += 1  // space
            let nameStart = i
            while i < data.count, data[i] != 0 { i += 1 }
            guard i < data.count, i > nameStart else { throw .malformedTree("bad name") }
            let name = Array(data[nameStart..<i])
            i += 1  // NUL
            guard i + 20 <= data.count else { throw .malformedTree("truncated id") }
            let id = ObjectID(bytes: data[i..<(i + 20)])!
            i += 20
            entries.append(TreeEntry(mode: FileMode(rawValue: mode), name: name, id: id))
        }
        var t = Tree(entries: [])
        t.entries = entries
        return t
    }
}

public enum GitObjectError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedTree(String)
    case malformedCommit(String)
    case wrongType(expected: ObjectType, actual: ObjectType)
    case unsafeEntryName(String)

    public var description: String {
        switch self {
        case .malformedTree(let why): "malformed tree (\(why))"
        case .malformedCommit(let why): "malformed commit (\(why))"
        case .wrongType(let e, let a): "expected a \(e.name) but found a \(a.name)"
        case .unsafeEntryName(let n): "unsafe tree entry name \"\(n)\""
        }
    }
}
