import ArgumentParser
import BlockStore
import Foundation
import Hub
import Multiformats
import Hummingbird
import KuboRPC
import Logging
import ModelServer
import Synchronization

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

        // Hub and gateway: metadata in hub.sqlite (or HUB_DATABASE_URL), content in the block store.
        let data = DataDirectory(flag: dataDir)
        let dataDirectory = data.root
        let blockStore = try data.openBlockStore()
        let pins = try data.openPinStore()
        let hubDatabase = try await HubSetup.openDatabase(dataDirectory: dataDirectory)
        let hubContent = try ContentStore(blocks: blockStore, tmpDirectory: data.tmp)
        hubContent.cleanTemporaryFiles()
        // One registry for the process: /metrics shows the hub's series beside the model server's.
        let metrics = ServerMetrics()
        let replica = try HubSetup.storeReplica(environment: env)
        if let replica { logger.info("hub content is also kept on the \(replica.backend.name) backend (HUB_STORE_BACKEND)") }
        let hub = HubServer(database: hubDatabase, content: hubContent, uploadMode: .from(environment: env),
                            publicURL: env["HUB_PUBLIC_URL"], signingSecret: try HubServer.loadSecret(dataDirectory: dataDirectory),
                            isPinned: { cid in ((try? CID(cid)).flatMap { try? pins.kind(of: $0) }) != nil },
                            pinnedRoots: { ((try? pins.list()) ?? []).map(\.cid) },
                            replica: replica, metrics: HubMetrics(factory: metrics.metricsFactory),
                            logger: Logger(label: "ipfs-accelerate.hub"))
        hub.addRoutes(to: router)
        try await hub.enableFallback(FallbackSettings.load(environment: env, dataDirectory: dataDirectory))
        try KuboRPCRoutes.local(dataDirectory: data).addRoutes(to: router)

        // Model server: /v1, /models, /admin, /health, /ready, /status, /metrics.
        // Models named by hub repo id (`org/name`) load from the hub's own store, or, for repos the
        // hub does not hold, through its fallback as any client of this port would fetch them.
        let hubModels = HubModelFolders(database: hubDatabase, blocks: blockStore,
                                        root: dataDirectory.appendingPathComponent("models/.hub"))
        let localModels = dataDirectory.appendingPathComponent("models")
        let boundPort = BoundPort()
        let loopback = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "[::1]" : host.contains(":") ? "[\(host)]" : host
        // API keys live in the hub's database: PostgreSQL when HUB_DATABASE_URL names one, so
        // every serve process behind a load balancer knows the same keys.
        let modelServer = try ModelServer.make(
            environment: env, dataDir: dataDirectory, keys: try await KeyStore(database: hubDatabase),
            hubRepo: { id in
                if let folder = try await hubModels.folder(for: id) { return folder }
                let port = boundPort.value.load(ordering: .acquiring)
                guard hub.fallbackEnabled, port > 0 else { return nil }
                return try await hubModels.mirroredFolder(for: id, hubURL: "http://\(loopback):\(port)")
            },
            availableModels: {
                let hubRepos = (try? await hubModels.candidateRepos()) ?? []
                return Array(Set(EngineLoader.supportedModels(under: localModels) + hubRepos)).sorted()
            },
            metrics: metrics,
            // Behind a load balancer a key's limit holds for all processes together.
            rateLimiter: hubDatabase.isShared ? SharedRateLimiter(database: hubDatabase) : nil)
        // /ready also needs the hub's database and store: a load balancer stops sending requests to a
        // process whose PostgreSQL is out of reach.
        ModelServerRoutes(server: modelServer, alsoReady: { await hub.readiness() }).addRoutes(to: router)
        modelServer.startPreloading()

        var quiet = logger
        quiet.logLevel = .warning
        let announce = logger
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                boundPort.value.store(bound, ordering: .releasing)
                announce.info("ipfs-accelerate listening on http://\(host):\(bound) (data: \(dataDirectory.path))")
            },
            logger: quiet)
        // runService stops cleanly on SIGTERM and SIGINT.
        try await app.runService()
        await hubDatabase.close()
    }
}

/// The port the server listens on, known once it runs (0 before; `--port 0` picks one).
final class BoundPort: Sendable {
    let value = Atomic<Int>(0)
}

