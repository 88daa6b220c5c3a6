import BlockStore
import Foundation
import Hub
import HubDatabase
import IPFSRouter
import ArgumentParser

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

    /// `HUB_STORE_BACKEND`: unset, `hf_cache` or `local` keep content in the data directory's flatfs store only;
    /// `kubo` (KUBO_API) or `ipfs_kit` (its Kubo for data, its IPFS Cluster for pins) keep a copy there too.
    static func storeReplica(environment env: [String: String]) throws -> ContentReplica? {
        let name = (env["HUB_STORE_BACKEND"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if name.isEmpty || name == "hf_cache" || name == "local" { return nil }
        let settings: RouterSettings
        do { settings = try RouterSettings(environment: env) } catch { throw ValidationError("\(error)") }
        let router = BackendRouter.standard(settings: settings)
        guard ["kubo", "ipfs_kit"].contains(name) else {
            throw ValidationError("HUB_STORE_BACKEND must be hf_cache (the default), kubo or ipfs_kit, got '\(name)'")
        }
        do {
            return ContentReplica(backend: try router.registry.backend(named: name, settings: settings, source: "HUB_STORE_BACKEND"))
        } catch {
            throw ValidationError("HUB_STORE_BACKEND=\(name): \(error)")
        }
    }
}
