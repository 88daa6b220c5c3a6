/// Paths that name something below a root (a repo file, an uploaded file, a model folder) and so
/// must not be able to leave it or mean two things: no absolute path, no `.` or `..` segment, no
/// NUL (C APIs would cut the path there).
public enum RelativePath {
    public enum Problem: Error, Sendable, Equatable {
        case empty
        case absolute
        case nul
        /// `a//b`, a trailing `/`: two spellings of one path.
        case emptySegment
        /// `.` or `..`.
        case dotSegment
    }

    /// Whether `a//b` and a trailing `/` are refused or read as if the extra slashes were not there.
    public enum EmptySegments: Sendable { case refuse, skip }

    /// The path's segments, or the first reason it is unsafe.
    public static func segments(_ path: String, emptySegments: EmptySegments = .refuse) throws(Problem) -> [Substring] {
        guard !path.isEmpty else { throw .empty }
        guard !path.hasPrefix("/") else { throw .absolute }
        guard !path.utf8.contains(0) else { throw .nul }
        let parts = path.split(separator: "/", omittingEmptySubsequences: emptySegments == .skip)
        guard !parts.isEmpty else { throw .empty }
        for part in parts {
            if part.isEmpty { throw .emptySegment }
            if part == "." || part == ".." { throw .dotSegment }
        }
        return parts
    }
}

/// Names that become one path segment and one URL segment as they are (user, organisation, repo and
/// model names): ASCII letters, digits, `-`, `_` and `.`, at most 96 characters, never `.` or `..`.
public enum SegmentName {
    public static let maxLength = 96

    public static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && name != "." && name != ".."
            && name.utf8.allSatisfy(isAllowed)
    }

    static func isAllowed(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): return true
        default: return false
        }
    }
}
