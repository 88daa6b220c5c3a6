/// A git-lfs pointer file: the small blob git stores in place of a large
/// file. The hub serves these blobs through git and the real content through
/// its LFS batch API; on push it uses `parse` to recognise pointer blobs and
/// map them to LFS objects instead of treating them as file content.
public struct LFSPointer: Hashable, Sendable {
    public static let versionURL = "https://git-lfs.github.com/spec/v1"
    /// git-lfs never writes pointers larger than this; bigger blobs are content.
    public static let maxPointerSize = 1024

    /// Lowercase hex SHA-256 of the real content.
    public var oid: String
    public var size: Int64

    public init?(oid: String, size: Int64) {
        guard oid.utf8.count == 64, oid.utf8.allSatisfy({ hexValue($0) != nil && !(65...70).contains($0) }), size >= 0 else {
            return nil
        }
        self.oid = oid
        self.size = size
    }

    /// Canonical text: version first, then the other keys in sorted order.
    public var text: String { "version \(LFSPointer.versionURL)\noid sha256:\(oid)\nsize \(size)\n" }
    public var blob: GitObject { .blob(Array(text.utf8)) }

    /// Recognises a pointer blob; nil for ordinary content. Extra keys
    /// (e.g. "ext-0-…") are tolerated, as git-lfs does.
    public static func parse(_ data: [UInt8]) -> LFSPointer? {
        guard data.count <= maxPointerSize, data.last == UInt8(ascii: "\n") else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard let first = lines.first, first == "version \(versionURL)" else { return nil }
        var oid: String?, size: Int64?
        for line in lines.dropFirst() {
            guard let sp = line.firstIndex(of: " ") else { return nil }
            let key = line[..<sp], value = line[line.index(after: sp)...]
            switch key {
            case "oid":
                guard value.hasPrefix("sha256:") else { return nil }
                oid = String(value.dropFirst(7))
            case "size":
                size = Int64(value)
            default:
                continue
            }
        }
        guard let oid, let size else { return nil }
        return LFSPointer(oid: oid, size: size)
    }
}
