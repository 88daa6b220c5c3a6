import Foundation
import Logging

extension BackendRouter {
    /// A router with the three built-in backends registered: `ipfs_kit`, `hf_cache` (the local
    /// store in `settings.dataDirectory`) and `kubo`.
    public static func standard(settings: RouterSettings, logger: Logger = Logger(label: "ipfs-accelerate.router")) -> BackendRouter {
        let registry = BackendRegistry()
        // The names are constants, never blank.
        try! registry.register("ipfs_kit") { IPFSKitBackend(settings: $0) }
        try! registry.register("hf_cache") { try LocalBackend(settings: $0) }
        try! registry.register("kubo") { KuboBackend(settings: $0) }
        return BackendRouter(settings: settings, registry: registry, logger: logger)
    }
}
