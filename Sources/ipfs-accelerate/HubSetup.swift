import BlockStore
import Foundation
import Hub
import HubDatabase

/// Opening the hub's state, shared by `serve`, `user` and `token`.
enum HubSetup {
    /// The data directory (foundation's rule: `--data-dir` > `IPFS_ACCELERATE_HOME` > `$HF_HOME/ipfs_accelerate`), created.
    static func dataDirectory(flag: String?) throws -> URL {
        let data = DataDirectory(flag: flag)
        try data.create()
        return data.root
    }

    /// PostgreSQL when `HUB_DATABASE_URL` is set (several hub instances can share it), else `hub.sqlite` in the data directory.
    static func openDatabase(dataDirectory: URL) async throws -> HubDatabase {
        if let url = ProcessInfo.processInfo.environment["HUB_DATABASE_URL"], !url.isEmpty {
            return try await HubDatabase.postgres(url: url)
        }
        return try await HubDatabase.sqlite(path: dataDirectory.appendingPathComponent("hub.sqlite").path)
    }
}
