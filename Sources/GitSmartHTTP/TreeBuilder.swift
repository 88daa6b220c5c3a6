/// Builds the nested tree objects for a flat file listing, the shape in which
/// the hub keeps a revision ("config/a.json" → blob id). Each directory becomes
/// one tree object; the caller stores every returned tree so that clients can
/// fetch them.
public enum TreeBuilder {
    public struct FileEntry: Sendable, Hashable {
        public var path: String
        public var mode: FileMode
        public var id: ObjectID
        public init(path: String, mode: FileMode = .regular, id: ObjectID) {
            self.path = path
            self.mode = mode
            self.id = id
        }
    }

    public struct Result: Sendable {
        public var rootID: ObjectID
        /// Every tree object created, root included (an empty listing yields
        /// just the empty tree).
        public var trees: [ObjectID: GitObject]
    }

    public enum BuildError: Error, Equatable, Sendable {
        /// Empty, ".", "..", ".git" components or a leading/trailing slash.
        case invalidPath(String)
        case duplicatePath(String)
        /// "a" is a file and also a directory in "a/b".
        case fileDirectoryConflict(String)
        /// Directory modes are derived from the paths; they cannot be given.
        case invalidMode(String)
    }

    /// A directory under construction; reference type so the insert loop can
    /// walk down and mutate in place.
    private final class Node {
        var files: [[UInt8]: (FileMode, ObjectID)] = [:]
        var dirs: [[UInt8]: Node] = [:]
    }

    public static func build(_ files: [FileEntry]) throws(BuildError) -> Result {
        let root = Node()
        for f in files {
            if f.mode.isDirectory { throw .invalidMode(f.path) }
            let parts = f.path.split(separator: "/", omittingEmptySubsequences: false)
            for p in parts where p.isEmpty || p == "." || p == ".." || p.lowercased() == ".git" {
                throw .invalidPath(f.path)
            }
            var node = root
            for dir in parts.dropLast() {
                let key = Array(dir.utf8)
                if node.files[key] != nil { throw .fileDirectoryConflict(f.path) }
                if let next = node.dirs[key] {
                    node = next
                } else {
                    let next = Node()
                    node.dirs[key] = next
                    node = next
                }
            }
            let leaf = Array(parts.last!.utf8)
            if node.dirs[leaf] != nil { throw .fileDirectoryConflict(f.path) }
            if node.files[leaf] != nil { throw .duplicatePath(f.path) }
            node.files[leaf] = (f.mode, f.id)
        }
        var trees: [ObjectID: GitObject] = [:]
        let rootID = emit(root, into: &trees)
        return Result(rootID: rootID, trees: trees)
    }

    /// Post-order: a tree's id depends on its subtrees' ids.
    private static func emit(_ node: Node, into trees: inout [ObjectID: GitObject]) -> ObjectID {
        var entries: [TreeEntry] = []
        for (name, (mode, id)) in node.files {
            entries.append(TreeEntry(mode: mode, name: name, id: id))
        }
        for (name, child) in node.dirs {
            entries.append(TreeEntry(mode: .directory, name: name, id: emit(child, into: &trees)))
        }
        let obj = Tree(entries: entries).object
        let id = obj.id
        trees[id] = obj
        return id
    }

    /// The inverse, for push: flattens a tree hierarchy read through `lookup`
    /// into (path, mode, blob id). Gitlinks are returned as-is (mode 160000).
    public static func flatten(root: ObjectID, maxEntries: Int = 1_000_000,
                               lookup: (ObjectID) async throws -> GitObject?) async throws -> [FileEntry] {
        var out: [FileEntry] = []
        var stack: [(prefix: String, id: ObjectID)] = [("", root)]
        while let (prefix, id) = stack.popLast() {
            guard let obj = try await lookup(id) else { throw ObjectWalkError.missingObject(id) }
            guard obj.type == .tree else { throw GitObjectError.wrongType(expected: .tree, actual: obj.type) }
            for e in try Tree.parse(obj.data).entries {
                guard e.hasSafeName else { throw GitObjectError.unsafeEntryName(e.nameString) }
                let path = prefix + e.nameString
                if e.mode.isDirectory {
                    stack.append((path + "/", e.id))
                } else {
                    out.append(FileEntry(path: path, mode: e.mode, id: e.id))
                    if out.count > maxEntries { throw ObjectWalkError.limitExceeded("tree entries") }
                }
            }
        }
        return out.sorted { $0.path < $1.path }
    }
}

public enum ObjectWalkError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingObject(ObjectID)
    case limitExceeded(String)

    public var description: String {
        switch self {
        case .missingObject(let id): "missing object \(id.hex)"
        case .limitExceeded(let what): "too many \(what)"
        }
    }
}
