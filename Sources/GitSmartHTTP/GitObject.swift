import Primitives

/// The four object kinds of git's object database. Raw values are the type
/// numbers used in pack entry headers.
public enum ObjectType: UInt8, Sendable, CaseIterable {
    case commit = 1
    case tree = 2
    case blob = 3
    case tag = 4

    /// The name used in the loose-object header ("blob 12\0").
    public var name: String {
        switch self {
        case .commit: "commit"
        case .tree: "tree"
        case .blob: "blob"
        case .tag: "tag"
        }
    }

    public init?(name: String) {
        guard let t = ObjectType.allCases.first(where: { $0.name == name }) else { return nil }
        self = t
    }
}

/// An object as git stores it: its type and its canonical content bytes
/// (the bytes after the "type size\0" header). The id is derived, never stored,
/// so an object can never disagree with its own name.
public struct GitObject: Sendable, Hashable {
    public var type: ObjectType
    public var data: [UInt8]

    public init(type: ObjectType, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// The SHA-1 of "type size\0" + data: git's object name.
    public var id: ObjectID {
        GitObject.computeID(type: type, data: data)
    }

    public static func computeID(type: ObjectType, data: [UInt8]) -> ObjectID {
        // Hash header and content incrementally: blobs can be large and a
        // concatenated copy would double peak memory.
        var hasher = GitObjectHasher(type: type.name, size: data.count)
        hasher.update(data)
        return ObjectID(bytes: hasher.finalize())!
    }

    public static func blob(_ bytes: [UInt8]) -> GitObject {
        GitObject(type: .blob, data: bytes)
    }
}
