import Foundation

/// The one folder holding all of the program's state.
///
/// Chosen as: `--data-dir` flag, else `IPFS_ACCELERATE_HOME`, else `$HF_HOME/ipfs_accelerate`
/// with `HF_HOME` defaulting to `~/.cache/huggingface`. Blocks live in `blocks/` (flatfs),
/// pins in `pins.json`, in-flight uploads in `tmp/`; later layers add their files beside them.
public struct DataDirectory: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// Resolves the data directory from a flag value and the environment (no file system access).
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        func expand(_ p: String) -> URL {
            let path = p.hasPrefix("~/") || p == "~"
                ? home(environment) + p.dropFirst(1) : p
            return URL(fileURLWithPath: path).standardizedFileURL
        }
        if let flag, !flag.isEmpty { return expand(flag) }
        if let h = environment["IPFS_ACCELERATE_HOME"], !h.isEmpty { return expand(h) }
        let hf = environment["HF_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home(environment) + "/.cache/huggingface"
        return expand(hf).appendingPathComponent("ipfs_accelerate")
    }

    private static func home(_ env: [String: String]) -> String {
        if let h = env["HOME"], !h.isEmpty { return h }
        return FileManager.default.homeDirectoryForCurrentUser.path
    }

    /// Resolves and wraps in one step.
    public init(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(root: Self.resolve(flag: flag, environment: environment))
    }

    public var blocks: URL { root.appendingPathComponent("blocks") }
    public var tmp: URL { root.appendingPathComponent("tmp") }
    public var pinsFile: URL { root.appendingPathComponent("pins.json") }

    /// Creates the folders (idempotent).
    public func create() throws {
        for dir in [root, blocks, tmp] {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw BlockStoreError.io(path: dir.path, reason: "cannot create directory: \(error.localizedDescription)")
            }
        }
    }

    /// Opens the block store under `blocks/`, creating the folders as needed.
    public func openBlockStore() throws -> FlatFSBlockStore {
        try create()
        return try FlatFSBlockStore(root: blocks)
    }

    /// Opens the pin set under `pins.json`.
    public func openPinStore() throws -> PinStore {
        try create()
        return try PinStore(file: pinsFile)
    }
}
