import Multiformats

/// How files and folders become a UnixFS DAG (the knobs of Kubo's `ipfs add`).
public struct ImportOptions: Sendable, Equatable {
    /// How a directory's size is estimated when deciding whether to shard it into a HAMT.
    public enum HAMTEstimator: String, Sendable, Equatable {
        /// Sum over entries of name length + CID byte length (Kubo's historical default).
        case links
        /// The exact encoded length of the basic directory node.
        case block
    }

    /// CID version of dag-pb nodes (leaves with `rawLeaves` are always CIDv1 raw).
    public var cidVersion: CID.Version = .v0
    /// Store file chunks as raw blocks instead of dag-pb UnixFS leaves.
    public var rawLeaves = false
    /// Fixed chunk size in bytes (`--chunker=size-N`).
    public var chunkSize = 262_144
    /// At most this many links per file node (`--max-file-links`).
    public var maxLinks = 174
    /// Include names starting with "." (`--hidden`).
    public var hidden = false
    /// Wrap what is added in a directory (`-w`).
    public var wrapWithDirectory = false
    public var hamtEstimator: HAMTEstimator = .links
    /// A directory becomes a HAMT when its estimate is OVER this many bytes (current Kubo).
    public var hamtThreshold = 262_144
    public var hamtFanout = 256

    public init() {}

    /// Kubo's default (`unixfs-v0-2015`): CIDv0, dag-pb leaves, 256 KiB chunks, 174 links.
    public static let unixfsV0_2015 = ImportOptions()

    /// `unixfs-v1-2025`: CIDv1, raw leaves, 1 MiB chunks, 1024 links, HAMT estimate "block".
    public static let unixfsV1_2025: ImportOptions = {
        var o = ImportOptions()
        o.cidVersion = .v1
        o.rawLeaves = true
        o.chunkSize = 1_048_576
        o.maxLinks = 1024
        o.hamtEstimator = .block
        return o
    }()

    /// The profile called `name` (as Kubo's `--profile` spells it).
    public static func profile(named name: String) throws(UnixFSError) -> ImportOptions {
        switch name {
        case "unixfs-v0-2015", "legacy-cid-v0": return .unixfsV0_2015
        case "unixfs-v1-2025", "test-cid-v1": return .unixfsV1_2025
        default: throw .invalidOption("unknown profile '\(name)': expected unixfs-v0-2015 or unixfs-v1-2025")
        }
    }

    /// Parses Kubo's `--chunker` value; only `size-N` is supported.
    public static func parseChunker(_ spec: String) throws(UnixFSError) -> Int {
        if spec == "default" { return 262_144 }
        guard spec.hasPrefix("size-"), let n = Int(spec.dropFirst(5)) else {
            throw .invalidOption("unsupported chunker '\(spec)': use size-N (for example size-262144)")
        }
        guard n >= 1 && n <= Self.maxChunkSize else {
            throw .invalidOption("chunk size \(n) out of range: must be 1...\(Self.maxChunkSize)")
        }
        return n
    }

    /// Kubo refuses chunks over 1 MiB (a block must stay transferable).
    public static let maxChunkSize = 1_048_576

    /// Throws when the options cannot produce a valid DAG.
    public func validate() throws(UnixFSError) {
        guard chunkSize >= 1 && chunkSize <= Self.maxChunkSize else {
            throw .invalidOption("chunk size \(chunkSize) out of range: must be 1...\(Self.maxChunkSize)")
        }
        guard maxLinks >= 2 else { throw .invalidOption("max file links must be at least 2, got \(maxLinks)") }
        guard hamtFanout == 256 else { throw .invalidOption("only HAMT fanout 256 is supported") }
    }
}

/// A node made by the importer: its CID and sizes.
public struct ImportedNode: Sendable, Equatable {
    public let cid: CID
    /// File bytes (0 for directories and symlinks).
    public let size: UInt64
    /// Cumulative DAG size: block length plus the children's Tsizes (Kubo's reported "Size").
    public let tsize: UInt64

    public init(cid: CID, size: UInt64, tsize: UInt64) {
        self.cid = cid
        self.size = size
        self.tsize = tsize
    }
}
