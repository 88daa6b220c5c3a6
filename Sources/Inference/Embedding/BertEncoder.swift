import Dispatch
import Foundation

/// The shape of a BERT encoder, from `config.json`.
public struct BertConfiguration: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var vocabSize: Int
    public var layerNormEps: Float

    public init(_ config: HFConfig) throws {
        hiddenSize = try config.require(config.hiddenSize, "hidden_size")
        layers = try config.require(config.numHiddenLayers, "num_hidden_layers")
        heads = try config.require(config.numAttentionHeads, "num_attention_heads")
        intermediateSize = try config.require(config.intermediateSize, "intermediate_size")
        maxPositions = try config.require(config.maxPositionEmbeddings ?? 512, "max_position_embeddings")
        typeVocabSize = try config.require(config.typeVocabSize ?? 2, "type_vocab_size")
        vocabSize = try config.require(config.vocabSize, "vocab_size")
        layerNormEps = Float(config.layerNormEps ?? 1e-12)
        guard hiddenSize % heads == 0 else {
            throw ModelConfigError.invalidValue(path: config.path, field: "num_attention_heads",
                                                reason: "(\(heads)) must divide hidden_size (\(hiddenSize))")
        }
        if let act = config.hiddenAct, act != "gelu" {
            throw ModelLoadError.unsupported(path: config.path, what: "hidden_act '\(act)' (only BERT's exact 'gelu' is implemented)")
        }
        if let kind = config.positionEmbeddingType, kind != "absolute" {
            throw ModelLoadError.unsupported(path: config.path, what: "position_embedding_type '\(kind)' (only 'absolute')")
        }
    }
}

/// A BERT encoder over memory-mapped safetensors weights. Sequences of a batch are packed
/// end to end with no padding: every matrix product runs on real tokens only, and attention
/// stays inside each sequence (the same result as an attention mask over padded input).
final class BertEncoder: Sendable {
    struct Layer: Sendable {
        let qkvWeight: FloatTensor   // [3H, H]: query, key, value rows fused into one product
        let qkvBias: FloatTensor
        let attentionOutWeight: FloatTensor, attentionOutBias: FloatTensor
        let attentionNormWeight: FloatTensor, attentionNormBias: FloatTensor
        let intermediateWeight: FloatTensor, intermediateBias: FloatTensor
        let outputWeight: FloatTensor, outputBias: FloatTensor
        let outputNormWeight: FloatTensor, outputNormBias: FloatTensor
    }

    let config: BertConfiguration
    let weights: SafeTensorsFile
    let wordEmbeddings: FloatTensor, positionEmbeddings: FloatTensor, tokenTypeEmbeddings: FloatTensor
    let embeddingNormWeight: FloatTensor, embeddingNormBias: FloatTensor
    let layers: [Layer]
    /// Heap bytes beyond the mapping (fused or widened weights).
    let ownedBytes: Int
    /// Threads one forward pass spreads its work over.
    let threads: Int

    init(config: BertConfiguration, weights: SafeTensorsFile, threads: Int) throws {
        self.config = config
        self.threads = max(1, threads)
        self.weights = weights
        let h = config.hiddenSize, inter = config.intermediateSize
        // Checkpoints saved from BertForMaskedLM and friends prefix every name with "bert.".
        let prefix = weights.tensors["embeddings.word_embeddings.weight"] == nil
            && weights.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        var owned = 0
        func tensor(_ name: String, _ shape: [Int]) throws -> FloatTensor {
            let t = try weights.floats(prefix + name, shape: shape)
            if !t.isMapped { owned += t.count * 4 }
            return t
        }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocabSize, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [config.maxPositions, h])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [config.typeVocabSize, h])
        embeddingNormWeight = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try tensor("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            let parts = try ["query", "key", "value"].map { try tensor(p + "attention.self.\($0).weight", [h, h]) }
            let biases = try ["query", "key", "value"].map { try tensor(p + "attention.self.\($0).bias", [h]) }
            let qkvWeight = FloatTensor(shape: [3 * h, h]) { out in
                for (i, part) in parts.enumerated() { (out + i * h * h).update(from: part.pointer, count: h * h) }
            }
            let qkvBias = FloatTensor(shape: [3 * h]) { out in
                for (i, part) in biases.enumerated() { (out + i * h).update(from: part.pointer, count: h) }
            }
            owned += (3 * h * h + 3 * h) * 4
            layers.append(Layer(
                qkvWeight: qkvWeight, qkvBias: qkvBias,
                attentionOutWeight: try tensor(p + "attention.output.dense.weight", [h, h]),
                attentionOutBias: try tensor(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                intermediateWeight: try tensor(p + "intermediate.dense.weight", [inter, h]),
                intermediateBias: try tensor(p + "intermediate.dense.bias", [inter]),
                outputWeight: try tensor(p + "output.dense.weight", [h, inter]),
                outputBias: try tensor(p + "output.dense.bias", [h]),
                outputNormWeight: try tensor(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
        ownedBytes = owned
        try BLAS.open(for: weights.path)
    }

    /// Final hidden states of every token of every sequence, packed: row `offsets[s] + t` is token
    /// `t` of sequence `s`. Ids must be below the vocabulary size; lengths at most `maxPositions`.
    func forward(_ sequences: [[Int]], body: (_ hidden: UnsafePointer<Float>, _ offsets: [Int]) -> Void) {
        let h = config.hiddenSize, inter = config.intermediateSize
        var offsets = [0]
        for s in sequences { offsets.append(offsets.last! + s.count) }
        let total = offsets.last!
        guard total > 0 else {
            body(UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!, offsets)
            return
        }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: total * 3 * h)
        let context = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let hidden2 = UnsafeMutablePointer<Float>.allocate(capacity: total * h)
        let intermediate = UnsafeMutablePointer<Float>.allocate(capacity: total * inter)
        defer {
            x.deallocate(); qkv.deallocate(); context.deallocate(); hidden2.deallocate(); intermediate.deallocate()
        }

        // Embeddings: word + position + token type 0, then LayerNorm.
        let tokens = sequences.flatMap { $0 }
        let positions = sequences.flatMap { 0..<$0.count }
        BertKernels.parallelFor(total, threads: threads, minimumPerChunk: 64) { range in
            for t in range {
                let out = x + t * h
                let word = wordEmbeddings.pointer + tokens[t] * h
                let position = positionEmbeddings.pointer + positions[t] * h
                let type = tokenTypeEmbeddings.pointer
                for i in 0..<h { out[i] = word[i] + position[i] + type[i] }
            }
        }
        BertKernels.layerNorm(x, rows: total, width: h, gamma: embeddingNormWeight.pointer,
                              beta: embeddingNormBias.pointer, eps: config.layerNormEps, threads: threads)

        let heads = config.heads, headDim = h / heads
        let longest = sequences.map(\.count).max() ?? 0
        let work = sequences.indices.filter { !sequences[$0].isEmpty }.flatMap { s in (0..<heads).map { (s, $0) } }

        for layer in layers {
            // Q, K and V for all tokens in one product.
            BertKernels.fillRows(qkv, rows: total, width: 3 * h, bias: layer.qkvBias.pointer, threads: threads)
            BLAS.parallelLinearAccumulate(input: x, rows: total, inFeatures: h, weight: layer.qkvWeight.pointer,
                                  outFeatures: 3 * h, output: qkv, parts: threads)
            // Attention per (sequence, head), spread over the cores.
            BertKernels.parallelFor(work.count, threads: threads) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: longest)
                defer { scratch.deallocate() }
                for w in range {
                    let (s, head) = work[w]
                    let start = offsets[s]
                    BertKernels.attentionHead(qkv: qkv + start * 3 * h, qkvStride: 3 * h, length: sequences[s].count,
                                              headOffset: head * headDim, headDim: headDim, hidden: h,
                                              context: context + start * h, contextStride: h, scores: scratch)
                }
            }
            // Output projection + residual, LayerNorm.
            BertKernels.fillRows(hidden2, rows: total, width: h, bias: layer.attentionOutBias.pointer, residual: x, threads: threads)
            BLAS.parallelLinearAccumulate(input: context, rows: total, inFeatures: h, weight: layer.attentionOutWeight.pointer,
                                  outFeatures: h, output: hidden2, parts: threads)
            BertKernels.layerNorm(hidden2, rows: total, width: h, gamma: layer.attentionNormWeight.pointer,
                                  beta: layer.attentionNormBias.pointer, eps: config.layerNormEps, threads: threads)
            // Feed-forward: GELU(x·W1ᵀ + b1)·W2ᵀ + b2 + residual, LayerNorm.
            BertKernels.fillRows(intermediate, rows: total, width: inter, bias: layer.intermediateBias.pointer, threads: threads)
            BLAS.parallelLinearAccumulate(input: hidden2, rows: total, inFeatures: h, weight: layer.intermediateWeight.pointer,
                                  outFeatures: inter, output: intermediate, parts: threads)
            BertKernels.gelu(intermediate, count: total * inter, threads: threads)
            BertKernels.fillRows(x, rows: total, width: h, bias: layer.outputBias.pointer, residual: hidden2, threads: threads)
            BLAS.parallelLinearAccumulate(input: intermediate, rows: total, inFeatures: inter, weight: layer.outputWeight.pointer,
                                  outFeatures: h, output: x, parts: threads)
            BertKernels.layerNorm(x, rows: total, width: h, gamma: layer.outputNormWeight.pointer,
                                  beta: layer.outputNormBias.pointer, eps: config.layerNormEps, threads: threads)
        }
        body(UnsafePointer(x), offsets)
    }
}
