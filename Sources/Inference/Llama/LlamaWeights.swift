import CKernels
import Foundation

/// The decoder families read from GGUF metadata: Llama's layout, with the variations of Qwen 2
/// (biases on q, k, v; NeoX RoPE), Qwen 3 (per-head RMS norm of q and k; NeoX RoPE), Phi-3
/// (q, k, v in one matrix, gate and up in one; NeoX RoPE; queries scaled first) and Gemma 2 / 3
/// (embeddings scaled by sqrt(width), norms after attention and feed-forward too, GeGLU, local
/// sliding-window layers between global ones; Gemma 2 soft-caps scores and logits, Gemma 3
/// normalises q and k per head).
public enum DecoderArchitecture: String, Sendable, CaseIterable {
    case llama, qwen2, qwen3, phi3, gemma2, gemma3

    /// RoPE rotating dimension i with i + d/2 (GPT-NeoX) rather than neighbours 2i, 2i+1.
    var neoxRoPE: Bool { self != .llama }
    var attentionBias: Bool { self == .qwen2 }
    var qkNorm: Bool { self == .qwen3 || self == .gemma3 }
    /// Queries are scaled before the attention instead of the scores.
    var scalesQueries: Bool { self == .phi3 || isGemma }
    var isGemma: Bool { self == .gemma2 || self == .gemma3 }
}

/// Hyper-parameters of a decoder GGUF.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: DecoderArchitecture
    public var layers: Int
    public var dim: Int
    public var ffnDim: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var vocab: Int
    public var contextLength: Int
    public var rmsEps: Float
    /// Rotation of the global layers (all layers, for models without local ones).
    public var rope: RoPESettings
    /// Rotation of the sliding-window layers (Gemma 3 uses base 10000 unscaled there).
    public var ropeLocal: RoPESettings
    /// GPT-NeoX pairing: the architecture's own, or a Llama from Hugging Face weights, which
    /// keep q and k in the layout GGUF conversion permutes for the neighbour pairing.
    public var neoxRoPE: Bool
    /// Factor applied to q (or the scores): 1/sqrt(head size), except Gemma's 27B models.
    public var queryScale: Float
    /// Keys a local layer sees: the last `slidingWindow` positions (0: no local layers).
    public var slidingWindow: Int
    /// Layer i is local when i % pattern < pattern - 1 (llama.cpp's swa pattern: Gemma 2
    /// alternates, 2; Gemma 3 has five local layers per global one, 6).
    public var slidingWindowPattern: Int
    /// cap * tanh(x / cap) on attention scores and on the logits (Gemma 2); 0: none.
    public var attentionSoftcap: Float
    public var finalSoftcap: Float
    /// Phi-3's long-context factors apply when the context we run exceeds this (the
    /// original training context); llama.cpp picks them by the same rule.
    public var ropeOriginalContext: Int
    public var kvDim: Int { kvHeads * headDim }
    /// Width of the attention's queries and output (heads × head size; not always `dim`).
    public var qDim: Int { heads * headDim }
    static let neoxKey = "ipfs_accelerate.rope.neox"
    public static let maxContextLength = 1 << 21

    /// Whether some layers attend only to the sliding window (see `isLocal(layer:)`).
    public var hasLocalLayers: Bool { slidingWindow > 0 && slidingWindowPattern > 1 }

    /// Whether layer `i` attends only to the sliding window.
    public func isLocal(layer i: Int) -> Bool {
        slidingWindow > 0 && slidingWindowPattern > 0 && i % slidingWindowPattern < slidingWindowPattern - 1
    }

    init(gguf: GGUFFile) throws {
        let name = try gguf.string("general.architecture")
        guard let arch = DecoderArchitecture(rawValue: name) else { throw GGUFError.unsupportedArchitecture(name) }
        architecture = arch
        neoxRoPE = arch.neoxRoPE || gguf.metadata[LlamaConfig.neoxKey]?.bool == true
        let a = arch.rawValue
        layers = try gguf.int("\(a).block_count")
        dim = try gguf.int("\(a).embedding_length")
        ffnDim = try gguf.int("\(a).feed_forward_length")
        heads = try gguf.int("\(a).attention.head_count")
        kvHeads = gguf.metadata["\(a).attention.head_count_kv"]?.int ?? heads
        contextLength = try gguf.int("\(a).context_length")
        // Buffers are sized by the context; a lying file must not make us allocate terabytes.
        guard (1...LlamaConfig.maxContextLength).contains(contextLength) else {
            throw GGUFError.corrupt("\(a): context length \(contextLength) is outside 1...\(LlamaConfig.maxContextLength)")
        }
        rmsEps = Float(try gguf.double("\(a).attention.layer_norm_rms_epsilon"))
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw GGUFError.corrupt("\(a): \(heads) heads are not a multiple of \(kvHeads) KV heads")
        }
        if let k = gguf.metadata["\(a).attention.key_length"]?.int {
            if let v = gguf.metadata["\(a).attention.value_length"]?.int, v != k {
                throw GGUFError.corrupt("\(a): key length \(k) and value length \(v) differ, which is not supported")
            }
            headDim = k
        } else {
            guard dim % heads == 0 else { throw GGUFError.corrupt("\(a): \(heads) heads do not divide width \(dim)") }
            headDim = dim / heads
        }
        if let rd = gguf.metadata["\(a).rope.dimension_count"]?.int, rd != headDim {
            throw GGUFError.corrupt("\(a): partial RoPE (\(rd) of \(headDim) dims) is not supported")
        }
        guard headDim % 2 == 0, headDim <= 256, layers > 0 else { throw GGUFError.corrupt("\(a): head size \(headDim) is not supported") }
        rope = try RoPESettings(gguf: gguf, arch: a, headDim: headDim, contextLength: contextLength)
        ropeOriginalContext = gguf.metadata["\(a).rope.scaling.original_context_length"]?.int ?? contextLength
        let hasLongFactors = gguf.tensors["rope_factors_long.weight"] != nil
        if hasLongFactors != (gguf.tensors["rope_factors_short.weight"] != nil) {
            throw GGUFError.corrupt("\(a): long-context RoPE needs both rope_factors_long and rope_factors_short")
        }
        if !hasLongFactors && gguf.metadata["\(a).rope.scaling.type"]?.string == "longrope" {
            throw GGUFError.corrupt("\(a): long-rope scaling without rope_factors_long/short tensors")
        }
        // Gemma's local/global layers (llama.cpp's iSWA); other families here ignore a window
        // key as llama.cpp does (Mistral's, Qwen 2's and Phi-3's are not applied there either).
        (slidingWindow, slidingWindowPattern) = (0, 0)
        ropeLocal = rope
        if arch.isGemma, let w = gguf.metadata["\(a).attention.sliding_window"]?.int {
            guard w > 0 else { throw GGUFError.corrupt("\(a): sliding window \(w) is not positive") }
            (slidingWindow, slidingWindowPattern) = (w, arch == .gemma2 ? 2 : 6)
            if arch == .gemma3 { ropeLocal = RoPESettings(base: 10000) }
            else if let b = gguf.metadata["\(a).rope.freq_base_swa"]?.double { ropeLocal.base = Float(b) }
        } else if arch == .gemma2 {
            (slidingWindow, slidingWindowPattern) = (4096, 2)   // Gemma 2's own when the file omits it
        }
        attentionSoftcap = arch == .gemma2 ? Float(gguf.metadata["\(a).attn_logit_softcapping"]?.double ?? 50) : 0
        finalSoftcap = arch.isGemma ? Float(gguf.metadata["\(a).final_logit_softcapping"]?.double ?? (arch == .gemma2 ? 30 : 0)) : 0
        guard attentionSoftcap >= 0, finalSoftcap >= 0, attentionSoftcap.isFinite, finalSoftcap.isFinite else {
            throw GGUFError.corrupt("\(a): soft-capping values must be non-negative numbers")
        }
        // Gemma's 27B models scale by 1/sqrt(width / heads) (query_pre_attn_scalar); llama.cpp
        // recognises them by layer count, and so do we.
        let big = (arch == .gemma2 && layers == 46) || (arch == .gemma3 && layers == 62)
        queryScale = 1 / (big ? Float(dim / heads) : Float(headDim)).squareRoot()
        let (emb, _) = try gguf.data(of: "token_embd.weight")
        vocab = gguf.metadata["\(a).vocab_size"]?.int ?? emb.dims[1]
    }
}

/// A weight matrix in its GGUF storage type, rows of `cols` elements.
struct LlamaMatrix: @unchecked Sendable {   // points into the immutable mapped file
    let type: GGMLType
    let data: UnsafeRawPointer
    let rows: Int
    let cols: Int
    let rowBytes: Int
    var vecDotType: Int32 { ck_vec_dot_type(Int32(type.rawValue)) }

    init(_ gguf: GGUFFile, _ name: String, rows: Int, cols: Int) throws {
        let (info, ptr) = try gguf.data(of: name)
        guard info.dims.count >= 2, info.dims[0] == cols, info.dims[1] == rows, info.dims.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw GGUFError.corrupt("tensor \(name) has shape \(info.dims), expected [\(cols), \(rows)]")
        }
        guard cols % info.type.blockSize == 0 else { throw GGUFError.corrupt("tensor \(name) rows are not whole blocks") }
        guard ck_vec_dot_type(Int32(info.type.rawValue)) >= 0 else {
            throw GGUFError.unknownTensorType(tensor: name, type: info.type.rawValue)
        }
        type = info.type
        data = ptr
        self.rows = rows
        self.cols = cols
        rowBytes = info.rowBytes
    }

    private init(type: GGMLType, data: UnsafeRawPointer, rows: Int, cols: Int, rowBytes: Int) {
        (self.type, self.data, self.rows, self.cols, self.rowBytes) = (type, data, rows, cols, rowBytes)
    }

    /// Rows `range` as a matrix of their own (a fused q/k/v or gate/up tensor's parts).
    func rows(_ range: Range<Int>) -> LlamaMatrix {
        precondition(range.upperBound <= rows)
        return LlamaMatrix(type: type, data: data + range.lowerBound * rowBytes, rows: range.count, cols: cols, rowBytes: rowBytes)
    }
}

/// An F32 vector (norm weights), copied out of the file (F16 norms are widened).
func loadVector(_ gguf: GGUFFile, _ name: String, count: Int) throws -> [Float] {
    let (info, ptr) = try gguf.data(of: name)
    guard info.elementCount == count else { throw GGUFError.corrupt("tensor \(name) has \(info.elementCount) elements, expected \(count)") }
    var out = [Float](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { o in
        ck_dequantize_row(Int32(info.type.rawValue), ptr, info.byteCount, 0, Int32(count), o.baseAddress)
    }
    return out
}

struct LlamaLayer: Sendable {
    let attnNorm: [Float]
    let ffnNorm: [Float]
    let q, k, v, o: LlamaMatrix
    /// Qwen 2's q, k, v biases; empty when the architecture has none.
    let qBias, kBias, vBias: [Float]
    /// Qwen 3's and Gemma 3's per-head norms of q and k (head-size weights); empty otherwise.
    let qNorm, kNorm: [Float]
    /// Gemma's norms of the attention and feed-forward outputs; empty otherwise.
    let attnPostNorm, ffnPostNorm: [Float]
    let gate, up, down: LlamaMatrix
}

struct LlamaWeights: Sendable {
    let embedding: LlamaMatrix
    let outputNorm: [Float]
    /// The output projection (the embedding itself when tied).
    let output: LlamaMatrix
    let layers: [LlamaLayer]
    /// A divisor per rotated pair: Llama 3's rope_freqs, or Phi-3's long factors when the
    /// context exceeds the original one (its short factors otherwise); empty when the file has none.
    let ropeFreqs: [Float]

    init(gguf: GGUFFile, config c: LlamaConfig) throws {
        embedding = try LlamaMatrix(gguf, "token_embd.weight", rows: c.vocab, cols: c.dim)
        outputNorm = try loadVector(gguf, "output_norm.weight", count: c.dim)
        output = gguf.tensors["output.weight"] != nil
            ? try LlamaMatrix(gguf, "output.weight", rows: c.vocab, cols: c.dim) : embedding
        let factors = gguf.tensors["rope_freqs.weight"] != nil ? "rope_freqs.weight"
            : gguf.tensors["rope_factors_long.weight"] == nil ? nil
            : c.contextLength > c.ropeOriginalContext ? "rope_factors_long.weight" : "rope_factors_short.weight"
        ropeFreqs = try factors.map { try loadVector(gguf, $0, count: c.headDim / 2) } ?? []
        guard ropeFreqs.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw GGUFError.corrupt("RoPE factors must be positive numbers") }
        var ls: [LlamaLayer] = []
        let bias = c.architecture.attentionBias, norm = c.architecture.qkNorm, post = c.architecture.isGemma
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            let q, k, v, gate, up: LlamaMatrix
            if gguf.tensors[p + "attn_qkv.weight"] != nil {
                let qkv = try LlamaMatrix(gguf, p + "attn_qkv.weight", rows: c.qDim + 2 * c.kvDim, cols: c.dim)
                (q, k, v) = (qkv.rows(0..<c.qDim), qkv.rows(c.qDim..<(c.qDim + c.kvDim)), qkv.rows((c.qDim + c.kvDim)..<(c.qDim + 2 * c.kvDim)))
            } else {
                q = try LlamaMatrix(gguf, p + "attn_q.weight", rows: c.qDim, cols: c.dim)
                k = try LlamaMatrix(gguf, p + "attn_k.weight", rows: c.kvDim, cols: c.dim)
                v = try LlamaMatrix(gguf, p + "attn_v.weight", rows: c.kvDim, cols: c.dim)
            }
            if gguf.tensors[p + "ffn_gate.weight"] == nil && c.architecture == .phi3 {
                // Gate rows first, then up (GGML's swiglu of a fused tensor).
                let gateUp = try LlamaMatrix(gguf, p + "ffn_up.weight", rows: 2 * c.ffnDim, cols: c.dim)
                (gate, up) = (gateUp.rows(0..<c.ffnDim), gateUp.rows(c.ffnDim..<(2 * c.ffnDim)))
            } else {
                gate = try LlamaMatrix(gguf, p + "ffn_gate.weight", rows: c.ffnDim, cols: c.dim)
                up = try LlamaMatrix(gguf, p + "ffn_up.weight", rows: c.ffnDim, cols: c.dim)
            }
            ls.append(LlamaLayer(
                attnNorm: try loadVector(gguf, p + "attn_norm.weight", count: c.dim),
                ffnNorm: try loadVector(gguf, p + "ffn_norm.weight", count: c.dim),
                q: q, k: k, v: v,
                o: try LlamaMatrix(gguf, p + "attn_output.weight", rows: c.dim, cols: c.qDim),
                qBias: bias ? try loadVector(gguf, p + "attn_q.bias", count: c.qDim) : [],
                kBias: bias ? try loadVector(gguf, p + "attn_k.bias", count: c.kvDim) : [],
                vBias: bias ? try loadVector(gguf, p + "attn_v.bias", count: c.kvDim) : [],
                qNorm: norm ? try loadVector(gguf, p + "attn_q_norm.weight", count: c.headDim) : [],
                kNorm: norm ? try loadVector(gguf, p + "attn_k_norm.weight", count: c.headDim) : [],
                attnPostNorm: post ? try loadVector(gguf, p + "post_attention_norm.weight", count: c.dim) : [],
                ffnPostNorm: post ? try loadVector(gguf, p + "post_ffw_norm.weight", count: c.dim) : [],
                gate: gate, up: up,
                down: try LlamaMatrix(gguf, p + "ffn_down.weight", rows: c.dim, cols: c.ffnDim)))
        }
        layers = ls
    }
}
