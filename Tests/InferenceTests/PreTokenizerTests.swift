import Foundation
import Inference
import Testing

/// BPEPreTokenizer against Hugging Face `tokenizers` splitting the same text with the published
/// patterns (Fixtures/make_pretokenizer_fixture.py).
@Suite struct PreTokenizerTests {
    @Test func llama3AndQwen2SplitsEqualHuggingFaceTokenizers() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/pretokenizer_splits", withExtension: "json"))
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = fx["cases"] as! [[String: Any]]
        #expect(cases.count >= 30)
        for c in cases {
            let pre = try #require(BPEPreTokenizer(ggufPre: c["pre"] as! String))
            let text = c["text"] as! String
            let got = pre.split(text).map { String(String.UnicodeScalarView($0)) }
            #expect(got == c["words"] as! [String], "\(c["pre"] as! String) \(text.debugDescription)")
        }
    }

    @Test func anUnknownPreTokenizerIsRefusedNotGuessed() {
        #expect(BPEPreTokenizer(ggufPre: "some-new-model") == nil)
        #expect(BPEPreTokenizer(ggufPre: "llama-bpe") != nil)
    }
}
