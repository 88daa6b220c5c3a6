import ArgumentParser
import Foundation
import IPFSRouter
import Logging

/// Options every router-backed command shares.
struct RouterOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
    var dataDir: String?

    @Option(help: "Use this backend first (ipfs_kit, hf_cache, kubo); default: the router's selection.")
    var backend: String?

    @Flag(name: .shortAndLong, help: "Print each operation's receipt (backend used, backends tried and why they failed).")
    var verbose = false

    /// The router from the environment, with `--data-dir` as the local store's folder.
    func makeRouter() throws -> BackendRouter {
        var settings: RouterSettings
        do { settings = try RouterSettings() } catch { throw ValidationError("\(error)") }
        if let dataDir, !dataDir.isEmpty { settings.dataDirectory = (dataDir as NSString).expandingTildeInPath }
        var logger = Logger(label: "ipfs-accelerate.router")
        logger.logLevel = verbose ? .info : .error
        return BackendRouter.standard(settings: settings, logger: logger)
    }

    /// With `--verbose`, the receipt goes to standard error (standard output stays parseable).
    func show(_ receipt: Receipt) {
        guard verbose else { return }
        FileHandle.standardError.write(Data(("receipt: " + receipt.description + "\n").utf8))
    }

    /// Prints a router failure with its receipt and exits non-zero.
    func fail(_ error: any Error) -> any Error {
        if verbose, let r = (error as? RouterError)?.receipt { show(r) }
        return ValidationError("\(error)")
    }
}
