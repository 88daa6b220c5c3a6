import Foundation
import Inference
import Testing

/// WordPiece ids against the `tokenizers` package (Fixtures/make_wordpiece_fixture.py).
@Suite struct TokenizerWordPieceTests {
    struct Case {
        var text: String
        var ids: [Int]
        var idsWithoutSpecial: [Int]
        var decoded: String
        var decodedWithSpecial: String
    }

    struct Truncated {
        var text: String
        var maxLength: Int
        var ids: [Int]
        var attentionMask: [Int]
    }

    static func fixture() -> [String: Any] { (try? EmbeddingFixtures.json("wordpiece_ids.json")) ?? [:] }
    static let truncated: [Truncated] = ((fixture()["truncated"] as? [[String: Any]]) ?? []).map {
        Truncated(text: $0["text"] as! String, maxLength: $0["maxLength"] as! Int, ids: $0["ids"] as! [Int], attentionMask: [])
    }
    static let shipped: [Truncated] = ((fixture()["shipped"] as? [[String: Any]]) ?? []).map {
        Truncated(text: $0["text"] as! String, maxLength: 128, ids: $0["ids"] as! [Int], attentionMask: $0["attentionMask"] as! [Int])
    }
    static let cases: [Case] = ((fixture()["cases"] as? [[String: Any]]) ?? []).map {
        Case(text: $0["text"] as! String, ids: $0["ids"] as! [Int], idsWithoutSpecial: $0["idsWithoutSpecial"] as! [Int],
             decoded: $0["decoded"] as! String, decodedWithSpecial: $0["decodedWithSpecial"] as! String)
    }

    static func tokenizerFromJSON() throws -> WordPieceTokenizer {
        try WordPieceTokenizer.load(tokenizerJSON: EmbeddingFixtures.miniLMModelFolder().appendingPathComponent("tokenizer.json"))
    }

    @Test func fixtureHoldsAFewHundredVariedStrings() {
        #expect(Self.cases.count >= 300)
    }

    @Test func idsMatchTheTokenizersPackageForEveryCorpusString() throws {
        let tokenizer = try Self.tokenizerFromJSON()
        #expect(tokenizer.vocabularySize == 30522)
        var mismatches: [String] = []
        for c in Self.cases {
            let ids = tokenizer.encode(c.text, addSpecialTokens: true)
            if ids != c.ids { mismatches.append("\(c.text.debugDescription): \(ids) != \(c.ids)") }
            let bare = tokenizer.encode(c.text, addSpecialTokens: false)
            if bare != c.idsWithoutSpecial { mismatches.append("no specials \(c.text.debugDescription): \(bare) != \(c.idsWithoutSpecial)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test func vocabTxtGivesTheSameIdsAsTokenizerJSON() throws {
        let tokenizer = try WordPieceTokenizer.load(vocabTXT: EmbeddingFixtures.miniLMModelFolder().appendingPathComponent("vocab.txt"))
        #expect(tokenizer.vocabularySize == 30522)
        let mismatched = Self.cases.filter { tokenizer.encode($0.text, addSpecialTokens: true) != $0.ids }
        #expect(mismatched.isEmpty, "\(mismatched.prefix(5).map(\.text))")
    }

    @Test func truncationKeepsTheFirstTokensAndTheFraming() throws {
        let tokenizer = try Self.tokenizerFromJSON()
        #expect(Self.truncated.count > 4)
        for c in Self.truncated {
            let ids = tokenizer.encode(c.text, addSpecialTokens: true, maxLength: c.maxLength)
            #expect(ids == c.ids)
            #expect(ids.count <= 256)
        }
    }

    @Test func shippedFileTruncatesTo128AndPaddingIsOnlyMask() throws {
        let tokenizer = try Self.tokenizerFromJSON()
        #expect(tokenizer.fileTruncation == 128)
        #expect(Self.shipped.count == 2)
        for c in Self.shipped {
            let real = zip(c.ids, c.attentionMask).filter { $0.1 == 1 }.map(\.0)
            #expect(c.ids.count == 128)
            #expect(real.count < 128 || c.ids.last == tokenizer.sepId)
            #expect(tokenizer.encode(c.text, addSpecialTokens: true, maxLength: 128) == real)
        }
    }

    @Test func decodeMatchesTheTokenizersPackage() throws {
        let tokenizer = try Self.tokenizerFromJSON()
        var mismatches: [String] = []
        for c in Self.cases {
            let skipped = tokenizer.decode(c.ids, skipSpecialTokens: true)
            if skipped != c.decoded { mismatches.append("\(skipped.debugDescription) != \(c.decoded.debugDescription)") }
            let kept = tokenizer.decode(c.ids, skipSpecialTokens: false)
            if kept != c.decodedWithSpecial { mismatches.append("\(kept.debugDescription) != \(c.decodedWithSpecial.debugDescription)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test func tokenizerJSONOfAnotherModelTypeIsATypedError() throws {
        let dir = try EmbeddingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tokenizer.json")
        try Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}"#.utf8).write(to: file)
        #expect(throws: TokenizerLoadError.notWordPiece(path: file.path, type: "BPE")) {
            try WordPieceTokenizer.load(tokenizerJSON: file)
        }
    }
}
