import CKernels
import Foundation
import Inference
import Testing

/// SmolLM2 re-quantised by llama.cpp's own quantizer into each type users download; the logits
/// and greedy tokens llama.cpp gives on each file are in Fixtures/quant/<TYPE>.json.
enum QuantFixture {
    /// Where `make_quant_fixtures.py --models-only` writes the models (scripts/test runs it).
    static let modelsDir = builtFixtureDir(env: "QUANT_MODELS_DIR", sub: "quant")

    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "\(path) not found: run python3 Tests/InferenceTests/Fixtures/make_quant_fixtures.py --models-only (or set QUANT_MODELS_DIR)"
        }
    }

    static func load(_ type: String) throws -> (LlamaModel, [String: Any]) {
        let path = modelsDir + "/SmolLM2-135M-Instruct.\(type).gguf"
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        guard let url = Bundle.module.url(forResource: "Fixtures/quant/\(type)", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (try LlamaModel.load(gguf: URL(fileURLWithPath: path), id: "smollm2-\(type)"), fx)
    }
}

@Suite(.serialized) struct QuantTypesTests {
    static let types = ["Q4_0", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"]

    // Not bit-identical: for these types llama.cpp takes other summation paths (repacked
    // weights, tinyBLAS for prompts) and a rounding difference can move an activation across a
    // Q8 quantisation step, so logits differ by up to ~0.7 (measured) where Q4_1 is exact. A
    // wrong kernel or layout is off by whole units and picks other tokens.
    @Test(arguments: types) func logitsAndTokensFollowLlamaCpp(type: String) throws {
        let (m, fx) = try QuantFixture.load(type)
        var agreeing = 0, total = 0
        for c in fx["cases"] as! [[String: Any]] {
            let name = c["prompt"] as! String
            let prompt = (c["prompt_ids"] as! [NSNumber]).map(\.intValue)
            #expect(m.tokenizer.encode(name, addSpecialTokens: true) == prompt)
            let logits = try m.logits(for: prompt)
            let top = (c["top_logits"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].floatValue) }
            let worst = top.map { abs(logits[$0.0] - $0.1) }.max() ?? 0
            #expect(worst <= 1.0, "\(type) \(name): largest logit difference from llama.cpp is \(worst)")
            let ours = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            #expect(top.prefix(5).contains { $0.0 == ours.first! }, "\(type) \(name): our best token \(ours.first!) is not in llama.cpp's top 5")
            #expect(Set(ours).intersection(top.prefix(5).map(\.0)).count >= 3, "\(type) \(name): top 5 \(Array(ours)) vs llama.cpp \(top.prefix(5).map(\.0))")

            var p = greedy(32)
            p.ignoreEOS = true
            let want = (c["greedy_ids"] as! [NSNumber]).map(\.intValue)
            let got = try m.generate(prompt: prompt, parameters: p) { _ in true }.tokens.map(\.id)
            #expect(got.count == want.count)
            agreeing += zip(got, want).prefix { $0 == $1 }.count
            total += want.count
        }
        // Greedy runs part where two tokens are nearly tied; most of the way they agree.
        #expect(agreeing * 3 >= total, "\(type): only \(agreeing) of \(total) greedy tokens agree with llama.cpp before the runs part")
    }

    @Test func portableKernelsGiveTheSameLogitsAsAVX2OnAMixedFile() throws {
        let (m, _) = try QuantFixture.load("Q5_K_M")
        let prompt = m.tokenizer.encode("The capital of France is", addSpecialTokens: true)
        let fast = try m.logits(for: prompt)
        ck_force_portable(1)
        defer { ck_force_portable(0) }
        #expect(try m.logits(for: prompt) == fast)
    }

    @Test func mixedFileReportsItsTensorTypes() throws {
        let (m, fx) = try QuantFixture.load("Q4_K_M")
        _ = m
        let counts = fx["tensor_types"] as! [String: NSNumber]
        let path = QuantFixture.modelsDir + "/SmolLM2-135M-Instruct.Q4_K_M.gguf"
        let file = try GGUFFile(path: path)
        var ours: [String: Int] = [:]
        for t in file.tensors.values { ours[GGMLType.name(of: t.type.rawValue), default: 0] += 1 }
        #expect(ours == counts.mapValues(\.intValue))
    }
}
