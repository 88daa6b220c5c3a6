import BlockStore
import Foundation

/// The router's configuration, read from the environment exactly as the seed documents it
/// (names and defaults kept), plus our own timeouts and endpoints.
public struct RouterSettings: Sendable, Equatable {
    /// `IPFS_BACKEND`: force a backend by name (nil: automatic).
    public var forcedBackend: String?
    /// `ENABLE_IPFS_KIT` (default true) and not `IPFS_KIT_DISABLE` (default false).
    public var ipfsKitEnabled: Bool
    /// Why ipfs_kit is disabled, naming the variable that did it.
    public var ipfsKitDisabledBy: String?
    /// `ENABLE_HF_CACHE` (default true).
    public var hfCacheEnabled: Bool
    var hfCacheSetting: String
    /// `KUBO_CMD` (default `ipfs`).
    public var kuboCommand: String
    /// `HF_HOME` (default `~/.cache/huggingface`).
    public var hfHome: String
    /// `IPFS_ROUTER_CACHE` (default 1): reuse backend instances.
    public var cacheInstances: Bool
    /// `KUBO_API` (default `http://127.0.0.1:5001`).
    public var kuboAPI: String
    /// `IPFS_CLUSTER_API` (default `http://127.0.0.1:9094`).
    public var clusterAPI: String
    /// `IPFS_KIT_KUBO_API`: the Kubo RPC endpoint ipfs_kit moves data through (default: `KUBO_API`).
    public var ipfsKitKuboAPI: String
    /// `IPFS_CLUSTER_REPLICATION` (default: the cluster's own): replication factor for cluster pins.
    public var clusterReplication: Int?
    /// `IPFS_ROUTER_TIMEOUT` seconds (default 120): the bound on one backend call.
    public var operationTimeout: Double
    /// `IPFS_ROUTER_PROBE_TIMEOUT` seconds (default 2): the bound on an availability probe.
    public var probeTimeout: Double
    /// The local store's data directory: `IPFS_ACCELERATE_HOME`, else `$HF_HOME/ipfs_accelerate`.
    public var dataDirectory: String

    public static let knownBuiltins = ["ipfs_kit", "hf_cache", "kubo"]

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        func flag(_ name: String, default value: Bool) throws -> Bool {
            guard let raw = env[name] else { return value }
            switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off", "": return false
            default:
                throw RouterError.invalidSetting(name: name, value: raw,
                                                 expected: "1/true/yes/on or 0/false/no/off")
            }
        }
        func seconds(_ name: String, default value: Double) throws -> Double {
            guard let raw = env[name] else { return value }
            guard let v = Double(raw.trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else {
                throw RouterError.invalidSetting(name: name, value: raw, expected: "a positive number of seconds")
            }
            return v
        }
        func url(_ name: String, default value: String) throws -> String {
            guard let raw = env[name], !raw.isEmpty else { return value }
            guard let u = URL(string: raw), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
                throw RouterError.invalidSetting(name: name, value: raw, expected: "an http:// URL such as \(value)")
            }
            return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        }

        let forced = env["IPFS_BACKEND"]?.trimmingCharacters(in: .whitespaces)
        forcedBackend = (forced?.isEmpty ?? true) || forced?.lowercased() == "auto" ? nil : forced

        let enableKit = try flag("ENABLE_IPFS_KIT", default: true)
        let disableKit = try flag("IPFS_KIT_DISABLE", default: false)
        ipfsKitEnabled = enableKit && !disableKit
        ipfsKitDisabledBy = disableKit ? "IPFS_KIT_DISABLE=\(env["IPFS_KIT_DISABLE"]!)"
            : (!enableKit ? "ENABLE_IPFS_KIT=\(env["ENABLE_IPFS_KIT"]!)" : nil)
        hfCacheEnabled = try flag("ENABLE_HF_CACHE", default: true)
        hfCacheSetting = env["ENABLE_HF_CACHE"] ?? "true"

        let cmd = env["KUBO_CMD"]?.trimmingCharacters(in: .whitespaces) ?? ""
        kuboCommand = cmd.isEmpty ? "ipfs" : cmd
        let home = env["HOME"] ?? NSHomeDirectory()
        let hf = env["HF_HOME"] ?? ""
        hfHome = hf.isEmpty ? (home as NSString).appendingPathComponent(".cache/huggingface") : hf
        cacheInstances = try flag("IPFS_ROUTER_CACHE", default: true)

        kuboAPI = try url("KUBO_API", default: "http://127.0.0.1:5001")
        clusterAPI = try url("IPFS_CLUSTER_API", default: "http://127.0.0.1:9094")
        ipfsKitKuboAPI = try url("IPFS_KIT_KUBO_API", default: kuboAPI)
        if let raw = env["IPFS_CLUSTER_REPLICATION"], !raw.isEmpty {
            guard let r = Int(raw), r >= -1, r != 0 else {
                throw RouterError.invalidSetting(name: "IPFS_CLUSTER_REPLICATION", value: raw,
                                                 expected: "a replication factor >= 1, or -1 for every peer")
            }
            clusterReplication = r
        } else {
            clusterReplication = nil
        }
        operationTimeout = try seconds("IPFS_ROUTER_TIMEOUT", default: 120)
        probeTimeout = try seconds("IPFS_ROUTER_PROBE_TIMEOUT", default: 2)
        var e = env
        e["HOME"] = home
        dataDirectory = DataDirectory.resolve(flag: nil, environment: e).path
    }

    /// Whether a built-in backend is enabled, and if not, which setting disabled it.
    public func disabledReason(_ name: String) -> String? {
        switch name {
        case "ipfs_kit": return ipfsKitEnabled ? nil : "disabled by \(ipfsKitDisabledBy ?? "configuration")"
        case "hf_cache": return hfCacheEnabled ? nil : "disabled by ENABLE_HF_CACHE=\(hfCacheSetting)"
        default: return nil
        }
    }
}
