import Hub
import Testing

/// Which files of a repo the model server fetches when it pulls a model through the fallback.
@Suite struct MirroredModelFilesTests {
    @Test func aSafetensorsFolderKeepsConfigsTokenizersAndTopLevelWeightsOnly() throws {
        let names = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                     "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model",
                     "pytorch_model.bin", "README.md", "onnx/model.onnx", "onnx/config.json", "1_Pooling/config.json",
                     "vocab.txt", "chat_template.jinja", "extra/model.safetensors"]
        #expect(try HubModelFolders.modelFiles(names) == [
            "1_Pooling/config.json", "chat_template.jinja", "config.json", "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer.model",
            "tokenizer_config.json", "vocab.txt"])
    }

    /// One GGUF of a repo of quantisations: Q4_K_M as llama.cpp picks, else the first by name.
    @Test func aRepoOfQuantisationsGivesOneGGUF() throws {
        #expect(try HubModelFolders.modelFiles(["m.Q8_0.gguf", "m.Q4_K_M.gguf", "m.Q2_K.gguf", "README.md"]) == ["m.Q4_K_M.gguf"])
        #expect(try HubModelFolders.modelFiles(["b.Q8_0.gguf", "a.Q6_K.gguf"]) == ["a.Q6_K.gguf"])
    }

    @Test(arguments: ["../etc/passwd", "a//b.json", "./config.json", "x/../../y.json"])
    func anUnsafeNameInTheSourcesListIsRefused(name: String) {
        #expect(throws: HubModelFolderError.self) { try HubModelFolders.modelFiles(["config.json", name]) }
    }
}
