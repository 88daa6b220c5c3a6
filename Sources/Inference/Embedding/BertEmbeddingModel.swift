import Foundation

/// Why texts could not be embedded.
public enum EmbeddingError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .tokenOutOfVocabulary(let id, let size):
            return "token id \(id) is outside the model's vocabulary of \(size); tokenizer and weights do not match"
        }
    }
}

/// Sentence embeddings from a BERT encoder (all-MiniLM-L6-v2 and its kin): WordPiece ids truncated
/// to the maximum sequence length, the encoder over all texts in packed batches, pooling and
/// normalisation as the folder's sentence-transformers modules say.
public final class BertEmbeddingModel: EmbeddingModel {
    public let id: String
    public let dimensions: Int
    public let maxSequenceLength: Int
    public let pooling: PoolingMode
    public let normalize: Bool
    public let matryoshkaDimensions: MatryoshkaDimensions?
    public let wordPiece: WordPieceTokenizer
    public var tokenizer: any TextTokenizer { wordPiece }
    public var memoryBytes: Int { encoder.weights.file.count + encoder.ownedBytes }
    public var threads: Int { encoder.threads }
    let encoder: BertEncoder
    /// Tokens per forward pass: large enough for BLAS to run at full speed, small enough that the
    /// activations (about 9·hidden floats a token) stay a few tens of MB.
    public let tokensPerPass: Int

    /// Loads a model folder: config.json, model.safetensors, tokenizer.json or vocab.txt, and the
    /// optional sentence-transformers files.
    /// `threads` defaults to one per core.
    public static func load(folder: URL, id: String? = nil, tokensPerPass: Int = 4096,
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> BertEmbeddingModel {
        let config = try HFConfig.load(url: folder.appendingPathComponent("config.json"))
        let bert = try BertConfiguration(config)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw ModelLoadError.missingWeights(path: folder.path, expected: "model.safetensors")
        }
        let weights = try SafeTensorsFile(url: weightsURL)
        let tokenizer = try WordPieceTokenizer.load(folder: folder)
        let st = try SentenceTransformersConfig.load(folder: folder)
        let maxLength = min(st.maxSequenceLength ?? tokenizer.fileTruncation ?? bert.maxPositions, bert.maxPositions)
        let matryoshka = try MatryoshkaDimensions.read(folder: folder, width: bert.hiddenSize)
        return try BertEmbeddingModel(id: id ?? folder.lastPathComponent, encoder: BertEncoder(config: bert, weights: weights, threads: threads),
                                      tokenizer: tokenizer, sentenceTransformers: st, maxSequenceLength: maxLength,
                                      tokensPerPass: tokensPerPass, matryoshkaDimensions: matryoshka)
    }

    init(id: String, encoder: BertEncoder, tokenizer: WordPieceTokenizer, sentenceTransformers: SentenceTransformersConfig,
         maxSequenceLength: Int, tokensPerPass: Int = 4096, matryoshkaDimensions: MatryoshkaDimensions? = nil) throws {
        self.tokensPerPass = max(1, tokensPerPass)
        self.id = id
        self.encoder = encoder
        self.wordPiece = tokenizer
        self.dimensions = encoder.config.hiddenSize
        self.maxSequenceLength = maxSequenceLength
        self.pooling = sentenceTransformers.pooling
        self.normalize = sentenceTransformers.normalize
        self.matryoshkaDimensions = matryoshkaDimensions
    }

    /// The ids the model runs on for `text`: [CLS] … [SEP], cut to the maximum sequence length.
    public func tokenIds(_ text: String) -> [Int] {
        wordPiece.encode(text, addSpecialTokens: true, maxLength: maxSequenceLength)
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        let ids = texts.map(tokenIds)
        for seq in ids {
            if let bad = seq.first(where: { $0 < 0 || $0 >= encoder.config.vocabSize }) {
                throw EmbeddingError.tokenOutOfVocabulary(id: bad, vocabularySize: encoder.config.vocabSize)
            }
        }
        var results = [[Float]](repeating: [], count: texts.count)
        var start = 0
        while start < ids.count {
            var end = start
            var tokens = 0
            while end < ids.count && (end == start || tokens + ids[end].count <= tokensPerPass) {
                tokens += ids[end].count
                end += 1
            }
            let batch = Array(ids[start..<end])
            let base = start
            encoder.forward(batch) { hidden, offsets in
                for s in batch.indices {
                    results[base + s] = pool(hidden + offsets[s] * dimensions, count: offsets[s + 1] - offsets[s])
                }
            }
            start = end
        }
        return results
    }

    private func pool(_ rows: UnsafePointer<Float>, count: Int) -> [Float] {
        let h = dimensions
        var v = [Float](repeating: 0, count: h)
        switch pooling {
        case .cls:
            for i in 0..<h { v[i] = rows[i] }
        case .mean:
            for t in 0..<count {
                for i in 0..<h { v[i] += rows[t * h + i] }
            }
            let inv = 1 / Float(max(count, 1))
            for i in 0..<h { v[i] *= inv }
        case .max:
            v = [Float](repeating: -.infinity, count: h)
            for t in 0..<count {
                for i in 0..<h { v[i] = Swift.max(v[i], rows[t * h + i]) }
            }
        }
        if normalize {
            var norm: Float = 0
            for x in v { norm += x * x }
            let inv = 1 / Swift.max(norm.squareRoot(), 1e-12)
            for i in 0..<h { v[i] *= inv }
        }
        return v
    }
}
