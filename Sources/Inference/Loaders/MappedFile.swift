import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file. Weights stay in the page cache and are shared
/// between processes instead of being copied onto the heap.
public final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is only read, so sharing it across threads is safe.
    public let path: String
    public let count: Int
    private let base: UnsafeRawPointer?

    public enum MapError: Error, CustomStringConvertible, Equatable {
        case cannotOpen(path: String, reason: String)
        case cannotMap(path: String, reason: String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
            case .cannotMap(let path, let reason): return "cannot memory-map \(path): \(reason)"
            }
        }
    }

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MapError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw MapError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MapError.cannotOpen(path: path, reason: "not a regular file") }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw MapError.cannotMap(path: path, reason: String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The bytes of the file; valid as long as this object lives.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
