import Foundation
import Testing
import Inference

/// tokenizer.json read into GGUF tokenizer metadata: hostile ids are refused, not allocated.
@Suite struct HFTokenizerJSONTests {
    private func metadata(_ tokenizer: String) throws -> [String: GGUFValue] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(tokenizer.utf8).write(to: dir.appendingPathComponent("tokenizer.json"))
        var md: [String: GGUFValue] = [:]
        try HFTokenizerJSON.addMetadata(folder: dir, to: &md)
        return md
    }

    private func tokenizer(vocab: String, added: String = "[]") -> String {
        #"{"added_tokens": \#(added), "pre_tokenizer": {"type": "ByteLevel", "use_regex": true}, "model": {"type": "BPE", "vocab": \#(vocab), "merges": []}}"#
    }

    /// Regression (FuzzTokenizerJSON, Fuzz/crashes): a vocabulary id of 2e20 made the gap filling
    /// allocate that many `[unusedN]` tokens and the process abort.
    @Test func hugeOrFractionalTokenIDsAreRefused() {
        for vocab in [#"{"a": 0, "b": 199999999999999999999}"#, #"{"a": 0, "b": 9223372036854775807}"#,
                      #"{"a": 0, "b": 2097152}"#, #"{"a": 0.5}"#, #"{"a": -1}"#] {
            #expect(throws: ModelLoadError.self, "\(vocab)") { _ = try metadata(tokenizer(vocab: vocab)) }
        }
        #expect(throws: ModelLoadError.self) {
            _ = try metadata(tokenizer(vocab: #"{"a": 0}"#, added: #"[{"id": 1e30, "content": "<x>", "special": true}]"#))
        }
    }

    @Test func gapsBelowTheLimitBecomeUnusedTokens() throws {
        let md = try metadata(tokenizer(vocab: #"{"a": 0, "b": 3}"#, added: #"[{"id": 1, "content": "<s>", "special": true}]"#))
        #expect(md["tokenizer.ggml.tokens"] == .array([.string("a"), .string("<s>"), .string("[unused2]"), .string("b")]))
        #expect(md["tokenizer.ggml.pre"] == .string("gpt2"))
    }
}
