import Foundation
import Inference
import Testing

/// A SentencePiece (GGUF `llama` model) vocabulary and llama.cpp's ids for a Unicode corpus in
/// it (Fixtures/make_spm_fixture.py).
@Suite struct SentencePieceTests {
    static func load() throws -> (BPETokenizer, [[String: Any]]) {
        let vocab = try #require(Bundle.module.url(forResource: "Fixtures/spm/vocab", withExtension: "gguf"))
        let ids = try #require(Bundle.module.url(forResource: "Fixtures/spm/ids", withExtension: "json"))
        let fx = try JSONSerialization.jsonObject(with: Data(contentsOf: ids)) as! [String: Any]
        return (try BPETokenizer(gguf: GGUFFile(path: vocab.path)), fx["cases"] as! [[String: Any]])
    }

    @Test func idsEqualLlamaCpp() throws {
        let (tok, cases) = try Self.load()
        for c in cases {
            let text = c["text"] as! String
            let want = (c["ids"] as! [NSNumber]).map(\.intValue)
            #expect(tok.encode(text, addSpecialTokens: true) == want, "\(text.debugDescription)")
            if !text.contains("<s>") && !text.contains("</s>") {
                #expect(tok.encode(text, addSpecialTokens: false) == (c["ids_no_bos"] as! [NSNumber]).map(\.intValue), "\(text.debugDescription)")
            }
        }
    }

    @Test func decodingGivesTheTextBackWithItsPrefixSpace() throws {
        let (tok, cases) = try Self.load()
        for c in cases {
            let text = c["text"] as! String
            guard !text.isEmpty, !text.contains("<s>") else { continue }
            #expect(tok.decode(tok.encode(text, addSpecialTokens: true), skipSpecialTokens: true) == " " + text)
        }
    }
}
