import Foundation
import Hummingbird
import HummingbirdTesting
import Inference
import NIOCore
import Testing
@preconcurrency import ModelServer

@Suite struct IPFSModelStorageTests {
    @Test func folderModelIsStoredByCIDAndLoadsBackByThatCID() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ms-ipfs-\(UUID().uuidString)")
        let model = root.appendingPathComponent("my-model")
        try FileManager.default.createDirectory(at: model.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let weights = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // several chunks
        try Data(weights).write(to: model.appendingPathComponent("weights.bin"))
        try Data("{\"model_type\":\"bert\"}".utf8).write(to: model.appendingPathComponent("sub/config.json"))
        let loadedFrom = OrderLog()
        let server = try ModelServer.make(
            environment: ["ENABLE_IPFS_MODEL_STORAGE": "true", "HF_SERVER_ENABLE_WARMUP": "false", "HF_SERVER_MODEL_DIRS": root.path],
            dataDir: root.appendingPathComponent("data"),
            load: { url, name in
                // The stand-in engine insists on the real files being there.
                let bytes = try Data(contentsOf: url.appendingPathComponent("weights.bin"))
                guard bytes.count == 300_000 else { throw TestFailure.bad("weights") }
                loadedFrom.append(url.path)
                return .embedding(FakeEmbedder(id: name))
            })
        server.startPreloading()
        let router = Router()
        ModelServerRoutes(server: server).addRoutes(to: router)
        let app = Application(responder: router.buildResponder())
        try await app.test(.router) { client in
            let first = json(try await client.execute(uri: "/models/load", method: .post, headers: jsonHeaders, body: body(["model_id": model.path])))
            let cid = try #require(first["cid"] as? String)
            #expect(cid.hasPrefix("Qm") || cid.hasPrefix("bafy"))
            // Asked for by CID while loaded: the same model, no second load.
            let same = json(try await client.execute(uri: "/v1/embeddings", method: .post, headers: jsonHeaders,
                                                     body: body(["model": "ipfs://\(cid)", "input": "x"])))
            #expect((same["data"] as? [Any])?.count == 1)
            #expect(loadedFrom.items.count == 1)
            _ = try await client.execute(uri: "/models/unload", method: .post, headers: jsonHeaders, body: body(["model_id": model.path]))
            try FileManager.default.removeItem(at: model)  // only the block store has it now
            let back = json(try await client.execute(uri: "/models/load", method: .post, headers: jsonHeaders, body: body(["model_id": "ipfs://\(cid)"])))
            #expect(back["status"] as? String == "loaded")
            #expect(back["cid"] as? String == cid)
            let path = try #require(back["path"] as? String)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent("weights.bin")) == Data(weights))
            #expect(try String(contentsOfFile: path + "/sub/config.json", encoding: .utf8) == "{\"model_type\":\"bert\"}")
            let missing = try await client.execute(uri: "/models/load", method: .post, headers: jsonHeaders,
                                                   body: body(["model_id": "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]))
            #expect(missing.status == .notFound)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("hf_server_ipfs_operations_total{backend=\"local\",operation=\"add_path\",status=\"success\"}"))
        }
        try? FileManager.default.removeItem(at: root)
    }
}
