import Foundation
import Inference
import Testing

/// ModelLoader's folder dispatch and its typed errors.
@Suite struct EmbeddingModelLoaderTests {
    @Test func unknownArchitectureIsATypedError() throws {
        let dir = try EmbeddingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 768}"#.utf8)
            .write(to: dir.appendingPathComponent("config.json"))
        #expect(throws: ModelLoadError.unknownArchitecture(path: dir.path, found: "GPT2LMHeadModel")) {
            try ModelLoader.load(path: dir, id: nil)
        }
    }

    @Test func missingPathAndEmptyFolderAreTypedErrors() throws {
        let dir = try EmbeddingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("absent")
        #expect(throws: ModelLoadError.notFound(path: missing.path)) { try ModelLoader.load(path: missing, id: nil) }
        #expect(throws: ModelLoadError.notAModel(path: dir.path)) { try ModelLoader.load(path: dir, id: nil) }
    }

    @Test func bertFolderWithoutWeightsOrWithBadConfigIsATypedError() throws {
        let dir = try EmbeddingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json")
        try Data((#"{"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,"#
                  + #" "intermediate_size": 16, "vocab_size": 10}"#).utf8).write(to: config)
        #expect(throws: ModelLoadError.missingWeights(path: dir.path, expected: "model.safetensors")) {
            try ModelLoader.load(path: dir, id: nil)
        }
        try Data(#"{"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1}"#.utf8).write(to: config)
        #expect(throws: ModelConfigError.missingField(path: config.path, field: "num_attention_heads")) {
            try ModelLoader.load(path: dir, id: nil)
        }
        try Data("{oops".utf8).write(to: config)
        #expect {
            try ModelLoader.load(path: dir, id: nil)
        } throws: { error in
            guard case ModelConfigError.invalidJSON = error else { return false }
            return true
        }
    }

    @Test func truncatedWeightsInAModelFolderAreATypedError() throws {
        let source = try EmbeddingFixtures.miniLMModelFolder()
        let dir = try EmbeddingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let handle = try FileHandle(forReadingFrom: source.appendingPathComponent("model.safetensors"))
        let head = try handle.read(upToCount: 1 << 20) ?? Data()
        try handle.close()
        try head.write(to: dir.appendingPathComponent("model.safetensors"))
        #expect {
            try ModelLoader.load(path: dir, id: nil)
        } throws: { error in
            guard case SafeTensorsError.dataOutOfBounds = error else { return false }
            return true
        }
    }
}
