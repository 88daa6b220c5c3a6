import CKernels
import Foundation

/// Hyper-parameters of a Llama-architecture GGUF.
public struct LlamaConfig: Sendable, Equatable {
    public var layers: Int
    public var dim: Int
    public var ffnDim: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var vocab: Int
    public var contextLength: Int
    public var ropeBase: Float
    public var rmsEps: Float
    public var kvDim: Int { kvHeads * headDim }

    init(gguf: GGUFFile) throws {
        let arch = try gguf.string("general.architecture")
        guard arch == "llama" else { throw GGUFError.unsupportedArchitecture(arch) }
        layers = try gguf.int("llama.block_count")
        dim = try gguf.int("llama.embedding_length")
        ffnDim = try gguf.int("llama.feed_forward_length")
        heads = try gguf.int("llama.attention.head_count")
        kvHeads = gguf.metadata["llama.attention.head_count_kv"]?.int ?? heads
        contextLength = try gguf.int("llama.context_length")
        ropeBase = Float(gguf.metadata["llama.rope.freq_base"]?.double ?? 10000)
        rmsEps = Float(try gguf.double("llama.attention.layer_norm_rms_epsilon"))
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0, dim % heads == 0 else {
            throw GGUFError.corrupt("llama: \(heads) heads / \(kvHeads) KV heads do not divide width \(dim)")
        }
        headDim = dim / heads
        if let rd = gguf.metadata["llama.rope.dimension_count"]?.int, rd != headDim {
            throw GGUFError.corrupt("llama: partial RoPE (\(rd) of \(headDim) dims) is not supported")
        }
        guard headDim % 2 == 0, headDim <= 256, layers > 0 else { throw GGUFError.corrupt("llama: head size \(headDim) is not supported") }
        let (emb, _) = try gguf.data(of: "token_embd.weight")
        vocab = gguf.metadata["llama.vocab_size"]?.int ?? emb.dims[1]
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
    let gate, up, down: LlamaMatrix
}

struct LlamaWeights: Sendable {
    let embedding: LlamaMatrix
    let outputNorm: [Float]
    /// The output projection (the embedding itself when tied).
    let output: LlamaMatrix
    let layers: [LlamaLayer]

    init(gguf: GGUFFile, config c: LlamaConfig) throws {
        embedding = try LlamaMatrix(gguf, "token_embd.weight", rows: c.vocab, cols: c.dim)
        outputNorm = try loadVector(gguf, "output_norm.weight", count: c.dim)
        output = gguf.tensors["output.weight"] != nil
            ? try LlamaMatrix(gguf, "output.weight", rows: c.vocab, cols: c.dim) : embedding
        var ls: [LlamaLayer] = []
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            ls.append(LlamaLayer(
                attnNorm: try loadVector(gguf, p + "attn_norm.weight", count: c.dim),
                ffnNorm: try loadVector(gguf, p + "ffn_norm.weight", count: c.dim),
                q: try LlamaMatrix(gguf, p + "attn_q.weight", rows: c.dim, cols: c.dim),
                k: try LlamaMatrix(gguf, p + "attn_k.weight", rows: c.kvDim, cols: c.dim),
                v: try LlamaMatrix(gguf, p + "attn_v.weight", rows: c.kvDim, cols: c.dim),
                o: try LlamaMatrix(gguf, p + "attn_output.weight", rows: c.dim, cols: c.dim),
                gate: try LlamaMatrix(gguf, p + "ffn_gate.weight", rows: c.ffnDim, cols: c.dim),
                up: try LlamaMatrix(gguf, p + "ffn_up.weight", rows: c.ffnDim, cols: c.dim),
                down: try LlamaMatrix(gguf, p + "ffn_down.weight", rows: c.dim, cols: c.ffnDim)))
        }
        layers = ls
    }
}
