import Foundation
import Inference
import Testing

/// Tiny random-weight decoders of each architecture (make_arch_fixtures.py, F32 weights) and
/// llama.cpp's logits and greedy tokens on them (Fixtures/arch/<name>.json).
enum ArchFixture {
    static let modelsDir = builtFixtureDir(env: "ARCH_MODELS_DIR", sub: "arch")

    static func load(_ name: String) throws -> (LlamaModel, [String: Any]) {
        let path = modelsDir + "/\(name).gguf"
        guard FileManager.default.fileExists(atPath: path) else { throw QuantFixture.Missing(path: path) }
        guard let url = Bundle.module.url(forResource: "Fixtures/arch/\(name)", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (try LlamaModel.load(gguf: URL(fileURLWithPath: path), id: name), fx)
    }
}

@Suite(.serialized) struct DecoderArchitectureTests {
    /// Gemma 2 and 3 (local and global layers, soft-capping, post-norms, GeGLU), YaRN on
    /// Qwen 2 and Phi-3's long-rope factors as well as the plain families.
    @Test(arguments: ["llama-gqa", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "qwen2-yarn", "phi3-longrope"])
    func logitsAndGreedyTokensEqualLlamaCpp(name: String) throws {
        let (m, fx) = try ArchFixture.load(name)
        #expect(m.config.architecture.rawValue == name.split(separator: "-")[0])
        for c in fx["cases"] as! [[String: Any]] {
            let prompt = (c["prompt_ids"] as! [NSNumber]).map(\.intValue)
            let logits = try m.logits(for: prompt)
            let worst = (c["top_logits"] as! [[NSNumber]]).map { abs(logits[$0[0].intValue] - $0[1].floatValue) }.max() ?? 0
            #expect(worst <= 1e-3, "\(name) \(c["prompt"] as! String): largest logit difference from llama.cpp is \(worst)")
            var p = greedy(16)
            p.ignoreEOS = true
            let want = (c["greedy_ids"] as! [NSNumber]).map(\.intValue)
            let got = try m.generate(prompt: prompt, parameters: p) { _ in true }.tokens.map(\.id)
            #expect(got == want, "\(name) \(c["prompt"] as! String): llama.cpp \(want), ours \(got)")
        }
    }

    /// Q2_K and Q3_K weights (llama.cpp's quantizer on a 256-wide model): within the rounding
    /// noise of Q8_K activations, as for the other quantised types (QuantTypesTests).
    @Test func q2KAndQ3KWeightsFollowLlamaCpp() throws {
        let (m, fx) = try ArchFixture.load("llama-Q2_K")
        var agreeing = 0, total = 0
        for c in fx["cases"] as! [[String: Any]] {
            let prompt = (c["prompt_ids"] as! [NSNumber]).map(\.intValue)
            let logits = try m.logits(for: prompt)
            let top = (c["top_logits"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].floatValue) }
            let worst = top.map { abs(logits[$0.0] - $0.1) }.max() ?? 0
            #expect(worst <= 0.05, "\(c["prompt"] as! String): largest logit difference from llama.cpp is \(worst)")
            var p = greedy(16)
            p.ignoreEOS = true
            let want = (c["greedy_ids"] as! [NSNumber]).map(\.intValue)
            let got = try m.generate(prompt: prompt, parameters: p) { _ in true }.tokens.map(\.id)
            agreeing += zip(got, want).prefix { $0 == $1 }.count
            total += want.count
        }
        #expect(agreeing * 2 >= total, "only \(agreeing) of \(total) greedy tokens agree with llama.cpp before the runs part")
    }
}
