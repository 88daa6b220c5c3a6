import Foundation
import Inference
import Testing

/// Matryoshka support read from config.json as vLLM reads it, and vectors shortened from it.
@Suite struct EmbeddingMatryoshkaTests {
    func read(_ object: [String: Any], width: Int = 384) throws -> MatryoshkaDimensions? {
        try MatryoshkaDimensions.read(config: object, width: width, path: "config.json")
    }

    @Test func configDeclaresAListAnyWidthOrNothing() throws {
        #expect(try read([:]) == nil)
        #expect(try read(["is_matryoshka": false]) == nil)
        #expect(try read(["matryoshka_dimensions": [Int]()]) == nil)
        #expect(try read(["is_matryoshka": true]) == .any)
        #expect(try read(["matryoshka_dimensions": [384, 64, 128, 128]]) == .only([64, 128, 384]))
        // A list wins over the flag: only the listed widths were trained.
        #expect(try read(["matryoshka_dimensions": [256], "is_matryoshka": true]) == .only([256]))
        #expect(throws: ModelConfigError.self) { try read(["matryoshka_dimensions": [512]]) }
        #expect(throws: ModelConfigError.self) { try read(["matryoshka_dimensions": [0]]) }
        #expect(throws: ModelConfigError.self) { try read(["matryoshka_dimensions": ["64"]]) }
        #expect(throws: ModelConfigError.self) { try read(["matryoshka_dimensions": 64]) }
    }

    @Test func allowsOnlyDeclaredWidths() {
        #expect(MatryoshkaDimensions.only([64, 128]).allows(128, width: 384))
        #expect(!MatryoshkaDimensions.only([64, 128]).allows(100, width: 384))
        #expect(MatryoshkaDimensions.any.allows(1, width: 384) && MatryoshkaDimensions.any.allows(384, width: 384))
        #expect(!MatryoshkaDimensions.any.allows(0, width: 384) && !MatryoshkaDimensions.any.allows(385, width: 384))
    }

    /// A copy of the MiniLM folder (same weights) with matryoshka_dimensions added to config.json.
    static func matryoshkaMiniLM(_ dims: [Int]) throws -> URL {
        let source = try EmbeddingFixtures.miniLMModelFolder()
        let dir = try EmbeddingFixtures.temporaryDirectory()
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: source.path) where name != "config.json" {
            try fm.createSymbolicLink(at: dir.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        config["matryoshka_dimensions"] = dims
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    @Test func loadedModelExposesItsDimensionsAndShortensToUnitVectors() throws {
        let dir = try Self.matryoshkaMiniLM([128, 256])
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try BertEmbeddingModel.load(folder: dir, threads: 1)
        #expect(model.matryoshkaDimensions == .only([128, 256]))
        let plain = try BertEmbeddingModel.load(folder: EmbeddingFixtures.miniLMModelFolder(), threads: 1)
        #expect(plain.matryoshkaDimensions == nil)

        let full = try model.embed(["A cat sits on the mat."])[0]
        let short = model.shortened(full, to: 128)
        #expect(short.count == 128)
        let norm = short.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(norm - 1) < 1e-6)
        // Same direction as the prefix: every component is the prefix's scaled by one factor.
        let prefixNorm = full.prefix(128).reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        for (s, f) in zip(short, full) { #expect(abs(Double(s) - Double(f) / prefixNorm) < 1e-6) }
    }
}
