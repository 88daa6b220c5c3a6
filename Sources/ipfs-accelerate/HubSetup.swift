import Foundation
import Hub
import HubDatabase

/// Opening the hub's state, shared by `serve`, `user` and `token`.
enum HubSetup {
    /// `--data-dir` > `IPFS_ACCELERATE_HOME` > `$HF_HOME/ipfs_accelerate` (HF_HOME defaults to ~/.cache/huggingface).
    static func dataDirectory(flag: String?) throws -> URL {
        let env = ProcessInfo.processInfo.environment
        let home = env["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        func expand(_ p: String) -> URL {
            URL(fileURLWithPath: p.hasPrefix("~/") ? home + p.dropFirst(1) : p).standardizedFileURL
        }
        let url: URL
        if let flag, !flag.isEmpty { url = expand(flag) }
        else if let h = env["IPFS_ACCELERATE_HOME"], !h.isEmpty { url = expand(h) }
        else { url = expand(env["HF_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.cache/huggingface").appendingPathComponent("ipfs_accelerate") }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// PostgreSQL when `HUB_DATABASE_URL` is set (several hub instances can share it), else `hub.sqlite` in the data directory.
    static func openDatabase(dataDirectory: URL) async throws -> HubDatabase {
        if let url = ProcessInfo.processInfo.environment["HUB_DATABASE_URL"], !url.isEmpty {
            return try await HubDatabase.postgres(url: url)
        }
        return try await HubDatabase.sqlite(path: dataDirectory.appendingPathComponent("hub.sqlite").path)
    }
}
