import Foundation
import Inference
import Testing

/// Hugging Face folders with the tiny architecture models' weights (make_hf_fixtures.py) must
/// generate what llama.cpp generates from the GGUF forms (Fixtures/arch/<name>.json).
@Suite(.serialized) struct HFCausalLMFolderTests {
    static let dir = builtFixtureDir(env: "HF_MODELS_DIR", sub: "hf")

    static func model(_ name: String) throws -> any TextGenerationModel {
        let folder = URL(fileURLWithPath: dir + "/" + name)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            throw QuantFixture.Missing(path: folder.path)
        }
        guard case .generation(let m) = try ModelLoader.load(path: folder, id: name) else {
            Issue.record("\(name) did not load as a text generation model")
            throw CocoaError(.fileReadUnknown)
        }
        return m
    }

    @Test(arguments: ["llama-gqa", "qwen2", "qwen3", "qwen2-yarn"]) func safetensorsFolderGeneratesAsLlamaCppDoesFromTheGGUF(name: String) throws {
        let m = try Self.model(name) as! LlamaModel
        let url = try #require(Bundle.module.url(forResource: "Fixtures/arch/\(name)", withExtension: "json"))
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for c in fx["cases"] as! [[String: Any]] {
            let text = c["prompt"] as! String
            let prompt = (c["prompt_ids"] as! [NSNumber]).map(\.intValue)
            #expect(m.tokenizer.encode(text, addSpecialTokens: true) == prompt)
            let logits = try m.logits(for: prompt)
            let worst = (c["top_logits"] as! [[NSNumber]]).map { abs(logits[$0[0].intValue] - $0[1].floatValue) }.max() ?? 0
            #expect(worst <= 1e-3, "\(name) \(text): largest logit difference from llama.cpp is \(worst)")
            var p = greedy(16)
            p.ignoreEOS = true
            let got = try m.generate(prompt: prompt, parameters: p) { _ in true }.tokens.map(\.id)
            #expect(got == (c["greedy_ids"] as! [NSNumber]).map(\.intValue), "\(name) \(text)")
        }
    }

    @Test func tokenizerJSONIdsEqualHuggingFaceTokenizers() throws {
        let m = try Self.model("qwen2")
        let url = try #require(Bundle.module.url(forResource: "Fixtures/hf_tokenizer_ids", withExtension: "json"))
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for c in fx["cases"] as! [[String: Any]] {
            let text = c["text"] as! String
            #expect(m.tokenizer.encode(text, addSpecialTokens: false) == (c["ids"] as! [NSNumber]).map(\.intValue), "\(text.debugDescription)")
        }
    }

    /// A copy of the qwen2 folder with one JSON file edited.
    static func edited(_ file: String, _ edit: (inout [String: Any]) -> Void) throws -> URL {
        let src = URL(fileURLWithPath: Self.dir + "/qwen2")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("hf-edit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] where f != file {
            try FileManager.default.createSymbolicLink(at: tmp.appendingPathComponent(f), withDestinationURL: src.appendingPathComponent(f))
        }
        var j = try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent(file))) as! [String: Any]
        edit(&j)
        try JSONSerialization.data(withJSONObject: j).write(to: tmp.appendingPathComponent(file))
        return tmp
    }

    /// Qwen 2.x's tokenizer.json composes text to NFC first; without it decomposed input would give
    /// other ids than `tokenizers` (the fixture's `nfc_cases` come from `tokenizers` with NFC on).
    @Test func anNFCNormalizerComposesTextAsTokenizersDoes() throws {
        let tmp = try Self.edited("tokenizer.json") { $0["normalizer"] = ["type": "NFC"] }
        defer { try? FileManager.default.removeItem(at: tmp) }
        guard case .generation(let nfc) = try ModelLoader.load(path: tmp, id: "qwen2-nfc") else {
            Issue.record("did not load as a text generation model"); return
        }
        let plain = try Self.model("qwen2")
        let url = try #require(Bundle.module.url(forResource: "Fixtures/hf_tokenizer_ids", withExtension: "json"))
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var differs = 0
        for c in fx["nfc_cases"] as! [[String: Any]] {
            let text = c["text"] as! String
            let want = (c["ids"] as! [NSNumber]).map(\.intValue)
            #expect(nfc.tokenizer.encode(text, addSpecialTokens: false) == want, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            if plain.tokenizer.encode(text, addSpecialTokens: false) != want { differs += 1 }
        }
        #expect(differs >= 3, "the corpus must hold decomposed text that NFC changes")
    }

    @Test func aNormalizerOtherThanNFCIsRefusedByName() throws {
        let tmp = try Self.edited("tokenizer.json") { $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Lowercase"]]] }
        defer { try? FileManager.default.removeItem(at: tmp) }
        #expect { _ = try ModelLoader.load(path: tmp) } throws: { "\($0)".contains("normalizer") && "\($0)".contains("Lowercase") }
    }

    @Test func anAbsurdContextLengthIsAnErrorNotAnAllocation() throws {
        let tmp = try Self.edited("config.json") { $0["max_position_embeddings"] = 1 << 40 }
        defer { try? FileManager.default.removeItem(at: tmp) }
        #expect { _ = try ModelLoader.load(path: tmp) } throws: { "\($0)".contains("context length 1099511627776") }
    }

    /// RoPE scalings the engine does not compute are refused by name, never run as plain RoPE.
    @Test(arguments: [("dynamic", 2.0, nil, "'dynamic'"), ("yarn", 4.0, "mscale_all_dim", "mscale_all_dim"), ("yarn", -4.0, nil, "factor -4")])
    func aRoPEScalingThatCannotBeComputedIsRefusedByName(type: String, factor: Double, extra: String?, named: String) throws {
        var scaling: [String: Any] = ["type": type, "factor": factor]
        if let extra { scaling[extra] = 0.7 }
        let tmp = try Self.edited("config.json") { $0["rope_scaling"] = scaling }
        defer { try? FileManager.default.removeItem(at: tmp) }
        #expect { _ = try ModelLoader.load(path: tmp) } throws: { "\($0)".contains(named) }
    }

    @Test func aFolderWithAnUnknownPreTokenizerIsRefusedByName() throws {
        let src = URL(fileURLWithPath: Self.dir + "/qwen2")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("hf-pre-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for f in ["config.json", "model.safetensors", "tokenizer_config.json"] {
            try FileManager.default.createSymbolicLink(at: tmp.appendingPathComponent(f), withDestinationURL: src.appendingPathComponent(f))
        }
        var tj = try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("tokenizer.json"))) as! [String: Any]
        tj["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁"]
        try JSONSerialization.data(withJSONObject: tj).write(to: tmp.appendingPathComponent("tokenizer.json"))
        #expect { _ = try ModelLoader.load(path: tmp) } throws: { "\($0)".contains("pre-tokenizer") && "\($0)".contains("Metaspace") }
    }
}
