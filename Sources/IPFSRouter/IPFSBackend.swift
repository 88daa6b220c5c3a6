import Foundation

/// What every IPFS backend offers (the seed's operations). CIDs cross this boundary as strings so a
/// remote backend (Kubo, a cluster) can answer with whatever CID it made; the router checks every
/// CID string a caller hands it before any backend sees it.
///
/// Backends signal "this content is not here" with `BackendError.notFound`, which the router treats
/// as an answer, not a failure; anything else they throw counts as a failure of that backend.
public protocol IPFSBackend: Sendable {
    /// The registry name (`hf_cache`, `kubo`, `ipfs_kit`, or a custom one).
    var name: String { get }
    /// Whether the backend can serve now; unavailable backends are skipped with this reason.
    func availability() async -> BackendAvailability

    func addBytes(_ data: Data, pin: Bool) async throws -> String
    func cat(_ cid: String) async throws -> Data
    /// The file's bytes (optionally a range of them) as a stream of chunks.
    func catStream(_ cid: String, range: ByteRange?) async throws -> AsyncThrowingStream<Data, any Error>
    func pin(_ cid: String) async throws
    func unpin(_ cid: String) async throws
    /// Pinned roots (recursive pins).
    func pins() async throws -> [String]
    func blockPut(_ data: Data, codec: String) async throws -> String
    func blockGet(_ cid: String) async throws -> Data
    /// Adds a file, or a folder when `recursive` is true, as UnixFS.
    func addPath(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> String
    /// Writes a file or a whole folder tree to `outputPath`.
    func getToPath(_ cid: String, outputPath: String) async throws
    func ls(_ cid: String) async throws -> [LsEntry]
    /// A CAR v1 stream of the DAG under `cid` (Kubo's `dag export`).
    func dagExport(_ cid: String) async throws -> AsyncThrowingStream<Data, any Error>
    /// Imports a CAR v1 stream; returns its roots. With `pinRoots`, roots whose DAG is complete are
    /// pinned (Kubo's default); without, a CAR may carry part of a DAG (one batch of a larger copy).
    func dagImport(_ car: Data, pinRoots: Bool) async throws -> [String]
}

extension IPFSBackend {
    public func dagImport(_ car: Data) async throws -> [String] { try await dagImport(car, pinRoots: true) }
}

public enum BackendAvailability: Sendable, Equatable {
    case available(String)
    case unavailable(String)

    public var isAvailable: Bool { if case .available = self { return true } else { return false } }
    public var reason: String {
        switch self { case .available(let r), .unavailable(let r): return r }
    }
}

/// Importer options a caller may set; nil means the backend's (Kubo's) default.
public struct AddOptions: Sendable, Equatable, Codable {
    public var cidVersion: Int?
    public var rawLeaves: Bool?
    /// Kubo chunker spec, e.g. `size-262144`.
    public var chunker: String?
    public var wrapWithDirectory: Bool
    public var onlyHash: Bool
    /// Include dot-files when adding a folder (Kubo's `--hidden`; off by default as in Kubo).
    public var includeHidden: Bool

    public init(cidVersion: Int? = nil, rawLeaves: Bool? = nil, chunker: String? = nil,
                wrapWithDirectory: Bool = false, onlyHash: Bool = false, includeHidden: Bool = false) {
        self.includeHidden = includeHidden
        self.cidVersion = cidVersion
        self.rawLeaves = rawLeaves
        self.chunker = chunker
        self.wrapWithDirectory = wrapWithDirectory
        self.onlyHash = onlyHash
    }

    public static let kuboDefault = AddOptions()
}

/// A byte range of a file: `offset` and an optional `length` (nil: to the end).
public struct ByteRange: Sendable, Equatable {
    public var offset: UInt64
    public var length: UInt64?
    public init(offset: UInt64, length: UInt64? = nil) {
        self.offset = offset
        self.length = length
    }
}

/// One entry of a directory listing (Kubo's `ls` Links).
public struct LsEntry: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case file, directory, symlink, other }
    public var name: String
    public var cid: String
    public var size: UInt64
    public var kind: Kind

    public init(name: String, cid: String, size: UInt64, kind: Kind) {
        self.name = name
        self.cid = cid
        self.size = size
        self.kind = kind
    }
}

/// What a backend throws. `notFound` is an answer ("not here"); the rest are failures.
public enum BackendError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case unavailable(String)
    case timedOut(seconds: Double, what: String)
    case unsupported(String)
    case failed(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .notFound(let cid): return "\(cid) not found"
        case .unavailable(let why): return "unavailable: \(why)"
        case .timedOut(let s, let what): return "timed out after \(formatSeconds(s)) (\(what))"
        case .unsupported(let what): return "not supported: \(what)"
        case .failed(let why): return why
        case .invalidInput(let why): return "invalid input: \(why)"
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : String(format: "%.2f s", s)
}
