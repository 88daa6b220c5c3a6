import Multiformats
import BlockStore

/// Errors of the UnixFS layer: malformed nodes, missing data, unsafe names, bad options.
public enum UnixFSError: Error, Sendable, CustomStringConvertible {
    case malformedDagPB(String)
    case malformedUnixFS(String)
    case notAFile(CID, String)
    case notADirectory(CID)
    case noSuchLink(name: String, in: CID)
    case unsafeLinkName(String)
    case rangeOutOfBounds(offset: UInt64, size: UInt64)
    case unsupportedCodec(Multicodec, CID)
    case invalidPath(String)
    case io(path: String, reason: String)
    case unsupportedFileType(path: String)
    case invalidOption(String)
    case hashCollision(String)
    case malformedCAR(String)
    case carBlockMismatch(CID)

    public var description: String {
        switch self {
        case .malformedDagPB(let m): return "malformed dag-pb node: \(m)"
        case .malformedUnixFS(let m): return "malformed UnixFS data: \(m)"
        case .notAFile(let c, let what): return "\(c) is not a file (it is \(what))"
        case .notADirectory(let c): return "\(c) is not a directory"
        case .noSuchLink(let n, let c): return "no link named '\(n)' under \(c)"
        case .unsafeLinkName(let n): return "refusing unsafe link name '\(n.replacingOccurrences(of: "\0", with: "\\0"))': a name must not be empty, '.', '..', or contain '/' or NUL"
        case .rangeOutOfBounds(let o, let s): return "offset \(o) is beyond the end of the file (\(s) bytes)"
        case .unsupportedCodec(let codec, let c): return "\(c) has codec \(codec); only raw and dag-pb can be read as files"
        case .invalidPath(let p): return "invalid IPFS path '\(p)': expected CID[/name...] or /ipfs/CID[/name...]"
        case .io(let p, let r): return "\(p): \(r)"
        case .unsupportedFileType(let p): return "\(p): unsupported file type (only regular files, directories and symlinks can be added)"
        case .invalidOption(let m): return m
        case .hashCollision(let m): return "HAMT hash collision: \(m)"
        case .malformedCAR(let m): return "malformed CAR: \(m)"
        case .carBlockMismatch(let c): return "CAR block for \(c) does not match its hash"
        }
    }
}
