import ArgumentParser
import BlockStore
import Foundation
import Hummingbird
import Logging
import ModelServer

/// `ipfs-accelerate serve`: the hub, the gateway, the Kubo RPC subset and the model server on one port.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the hub, gateway, Kubo RPC API and model server on one port.")

    @Option(help: "Address to bind (default: HF_SERVER_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default: HF_SERVER_PORT or 8000).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Data directory (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
    var dataDir: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let host = host ?? env["HF_SERVER_HOST"] ?? "127.0.0.1"
        let port = try port ?? env["HF_SERVER_PORT"].map { value in
            guard let p = Int(value), (0...65535).contains(p) else {
                throw ValidationError("HF_SERVER_PORT must be a port number, got '\(value)'")
            }
            return p
        } ?? 8000
        var logger = Logger(label: "ipfs-accelerate.serve")
        logger.logLevel = .info
        let router = Router()
        // Each layer mounts its routes here (hub, gateway, Kubo RPC, model server).
        // Model server: /v1, /models, /admin, /health, /ready, /status, /metrics.
        let modelServer = try ModelServer.make(environment: env, dataDir: DataDirectory(flag: dataDir).root)
        ModelServerRoutes(server: modelServer).addRoutes(to: router)
        modelServer.startPreloading()
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await app.runService()
    }
}
