import Foundation
import Inference
import Testing

@Suite struct BPETokenizerTests {
    @Test func capitalOfFranceTokenizesAsLlamaCppDoes() throws {
        let m = try SmolLM.load()
        #expect(m.tokenizer.encode("The capital of France is", addSpecialTokens: true) == [504, 3575, 282, 4649, 314])
    }

    @Test func corpusIdsEqualLlamaCpp() throws {
        let m = try SmolLM.load()
        let fx = try SmolLM.fixture("tokenizer") as! [String: Any]
        let cases = fx["cases"] as! [[String: Any]]
        #expect(cases.count >= 300)
        var mismatches: [String] = []
        for c in cases {
            let text = c["text"] as! String
            let ids = (c["ids"] as! [NSNumber]).map(\.intValue)
            let got = m.tokenizer.encode(text, addSpecialTokens: true)
            if got != ids { mismatches.append("\(text.debugDescription): llama.cpp \(ids), ours \(got)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func decodingRestoresTheText() throws {
        let m = try SmolLM.load()
        let fx = try SmolLM.fixture("tokenizer") as! [String: Any]
        for c in fx["cases"] as! [[String: Any]] {
            let text = c["text"] as! String
            let ids = (c["ids"] as! [NSNumber]).map(\.intValue)
            #expect(m.tokenizer.decode(ids, skipSpecialTokens: false) == text)
        }
    }

    @Test func specialTokensAreMatchedAndCanBeSkipped() throws {
        let m = try SmolLM.load()
        let ids = m.tokenizer.encode("<|im_start|>user\nHi<|im_end|>", addSpecialTokens: false)
        #expect(ids.first == 1 && ids.last == 2)
        #expect(m.tokenizer.decode(ids, skipSpecialTokens: true) == "user\nHi")
    }
}
