import BlockStore
import Foundation
import IPFSRouter
import Testing

/// Every operation on every backend that can run here.
@Suite struct HFCacheBackendTests {
    @Test func everyOperationMatchesKuboOnTheLocalStore() async throws {
        try await exerciseEveryOperation(try localBackend(), inputs: try Vectors.inputs())
    }

    @Test func theRouterPutsTheLocalStoreUnderHfHome() async throws {
        let home = try tempDir("hfhome")
        let s = try settings(["HF_HOME": home.path, "IPFS_BACKEND": "hf_cache"])
        let r = BackendRouter.standard(settings: s)
        let out = try await r.addBytes(Data("Hello, IPFS!".utf8))
        #expect(out.value == helloCID)
        #expect(out.receipt.servedBy == "hf_cache")
        #expect(!out.receipt.degraded)
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("ipfs_accelerate/blocks").path))
        #expect(try await r.cat(helloCID).value == Data("Hello, IPFS!".utf8))
    }

    @Test func onAFreshMachineHfCacheIsInUseAndTheOthersSayWhyNot() async throws {
        let home = try tempDir("fresh")
        // Nothing listens on these ports; no `ipfs` on PATH. Refusals answer at once, so the probe
        // bound is generous: on a slow machine it must not cut off the probes before they are refused.
        let s = try settings(["HF_HOME": home.path, "KUBO_API": "http://127.0.0.1:9", "IPFS_CLUSTER_API": "http://127.0.0.1:9",
                              "KUBO_CMD": "ipfs-not-installed-here", "PATH": "/nonexistent", "IPFS_ROUTER_PROBE_TIMEOUT": "300"])
        let status = try await BackendRouter.standard(settings: s).status()
        #expect(status.map(\.name) == ["ipfs_kit", "hf_cache", "kubo"])
        #expect(status.map(\.inUse) == [false, true, false])
        #expect(status[0].availability.reason.contains("no Kubo RPC at http://127.0.0.1:9"))
        #expect(status[0].availability.reason.contains("no IPFS Cluster at http://127.0.0.1:9"))
        #expect(status[2].availability.reason.contains("KUBO_CMD 'ipfs-not-installed-here' is not an executable on PATH"))
    }
}

@Suite(.serialized) struct KuboRPCBackendTests {
    @Test func everyOperationThroughKuboRPCAgainstOurOwnServer() async throws {
        let server = InProcessRPCServer(backend: try localBackend("remote"))
        try await server.start()
        defer { Task { await server.stop() } }
        let kubo = KuboBackend(settings: try settings(["KUBO_API": server.url, "KUBO_CMD": "/nonexistent/ipfs", "IPFS_ROUTER_PROBE_TIMEOUT": "300"]))
        #expect(await kubo.availability().isAvailable)
        try await exerciseEveryOperation(kubo, inputs: try Vectors.inputs())
    }

    @Test func everyOperationThroughIpfsKitWhenOnlyItsKuboEndpointAnswers() async throws {
        let server = InProcessRPCServer(backend: try localBackend("kit"))
        try await server.start()
        defer { Task { await server.stop() } }
        let kit = IPFSKitBackend(settings: try settings(["IPFS_KIT_KUBO_API": server.url, "IPFS_CLUSTER_API": "http://127.0.0.1:9", "IPFS_ROUTER_PROBE_TIMEOUT": "300"]))
        let availability = await kit.availability()
        #expect(availability.isAvailable)
        #expect(availability.reason.contains("Kubo RPC at \(server.url)"))
        #expect(availability.reason.contains("no IPFS Cluster at http://127.0.0.1:9"))
        try await exerciseEveryOperation(kit, inputs: try Vectors.inputs())
    }

    @Test func ipfsKitIsUnavailableWithBothReasonsWhenNeitherEndpointAnswers() async throws {
        let kit = IPFSKitBackend(settings: try settings(["KUBO_API": "http://127.0.0.1:9", "IPFS_CLUSTER_API": "http://127.0.0.1:9",
                                                         "IPFS_ROUTER_PROBE_TIMEOUT": "300"]))
        let availability = await kit.availability()
        // A refused connection must not be retried until the deadline: the probes end refused, not timed out.
        #expect(!availability.reason.contains("timed out"), "\(availability.reason)")
        #expect(!availability.isAvailable)
        #expect(availability.reason.contains("no Kubo RPC at http://127.0.0.1:9") && availability.reason.contains("no IPFS Cluster at http://127.0.0.1:9"))
    }

    @Test func whenTheKuboNodeStopsMidRunTheRouterFailsOverToTheLocalStore() async throws {
        let server = InProcessRPCServer(backend: try localBackend("remote"))
        try await server.start()
        let home = try tempDir("failover")
        let s = try settings(["HF_HOME": home.path, "KUBO_API": server.url, "KUBO_CMD": "/nonexistent/ipfs",
                              "IPFS_BACKEND": "kubo", "IPFS_KIT_DISABLE": "1", "IPFS_ROUTER_TIMEOUT": "10"])
        let r = BackendRouter.standard(settings: s)
        let first = try await r.addBytes(Data("Hello, IPFS!".utf8))
        #expect(first.receipt.servedBy == "kubo")
        #expect(first.value == helloCID)
        await server.stop()
        let second = try await r.addBytes(Data("Hello, IPFS!".utf8))
        #expect(second.value == helloCID)
        #expect(second.receipt.servedBy == "hf_cache")
        #expect(second.receipt.degraded)
        #expect(second.receipt.attempts.first?.backend == "kubo")
        // Failed (the call was refused) or skipped (the probe was refused): either way, with the reason.
        switch second.receipt.attempts.first?.outcome {
        case .failed(let why)?, .skipped(let why)?:
            // A new connection is refused; a pooled keep-alive one fails as "I/O on closed channel".
            #expect(why.contains(server.url) && (why.contains("connection refused") || why.contains("closed")), "\(why)")
        default:
            Issue.record("kubo neither failed nor was skipped: \(second.receipt)")
        }
        // The local store now has it: reads are served locally.
        #expect(try await r.cat(helloCID).receipt.servedBy == "hf_cache")
    }
}
