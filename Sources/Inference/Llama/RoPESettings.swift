import CKernels
import Foundation

/// How one layer rotates queries and keys: the base, the scaling a long-context model was
/// trained with, and GGML's parameters for it (`ck_rope_params` without the per-dimension factors,
/// which live with the weights).
public struct RoPESettings: Sendable, Equatable {
    public var base: Float
    /// Multiplies every angle (1 / the scaling factor; 1 without scaling).
    public var freqScale: Float = 1
    /// YaRN: how much of the unscaled angle is blended back in for the fast dimensions (0: off).
    public var extFactor: Float = 0
    /// Multiplies cos and sin (YaRN's and Phi-3's magnitude correction).
    public var attnFactor: Float = 1
    /// YaRN's ramp over the rotated pairs: below `corrDims.0` the angle is unscaled, above
    /// `corrDims.1` fully scaled.
    public var corrDims: (Float, Float) = (0, 0)

    public static func == (a: RoPESettings, b: RoPESettings) -> Bool {
        (a.base, a.freqScale, a.extFactor, a.attnFactor) == (b.base, b.freqScale, b.extFactor, b.attnFactor)
            && a.corrDims == b.corrDims
    }

    func params(factors: UnsafePointer<Float>?, neox: Bool) -> ck_rope_params {
        ck_rope_params(freq_base: base, freq_scale: freqScale, ext_factor: extFactor, attn_factor: attnFactor,
                       corr_dims: (corrDims.0, corrDims.1), freq_factors: factors, neox: neox ? 1 : 0)
    }

    /// Reads `{arch}.rope.*` as llama.cpp does: `none`, `linear`, `yarn` (with the original
    /// context and GGML's beta_fast 32 / beta_slow 1), or Phi-3's long-rope (per-dimension factors
    /// as tensors, `rope.scaling.attn_factor` scaling cos and sin). Llama 3's scaling arrives as
    /// the `rope_freqs` tensor and needs nothing here.
    init(gguf: GGUFFile, arch a: String, headDim: Int, contextLength: Int) throws {
        base = Float(gguf.metadata["\(a).rope.freq_base"]?.double ?? 10000)
        guard base > 1, base.isFinite else { throw GGUFError.corrupt("\(a): RoPE base \(base) must be a finite number above 1") }
        let factor = gguf.metadata["\(a).rope.scaling.factor"]?.double ?? 1
        let scaling = gguf.metadata["\(a).rope.scaling.type"]?.string ?? "none"
        if scaling != "none" {
            guard factor > 0, factor.isFinite else { throw GGUFError.corrupt("\(a): RoPE scaling factor \(factor) is not a positive number") }
        }
        switch scaling {
        case "none", "longrope": break
        case "linear": freqScale = Float(1 / factor)
        case "yarn":
            freqScale = Float(1 / factor)
            extFactor = 1
            let original = gguf.metadata["\(a).rope.scaling.original_context_length"]?.int ?? contextLength
            guard original > 0 else { throw GGUFError.corrupt("\(a): YaRN original context length \(original) is not positive") }
            if let mul = gguf.metadata["\(a).rope.scaling.yarn_log_multiplier"]?.double, mul != 0 {
                throw GGUFError.corrupt("\(a): YaRN with a log multiplier (DeepSeek's mscale_all_dim) is not supported")
            }
            var dims: (Float, Float) = (0, 0)
            withUnsafeMutablePointer(to: &dims) {
                $0.withMemoryRebound(to: Float.self, capacity: 2) { ck_rope_yarn_corr_dims(Int32(headDim), Int32(original), base, 32, 1, $0) }
            }
            corrDims = dims
        case let other:
            throw GGUFError.corrupt("\(a): RoPE scaling '\(other)' is not supported (supported: none, linear, yarn, longrope, Llama 3 rope_freqs)")
        }
        attnFactor = Float(gguf.metadata["\(a).rope.scaling.attn_factor"]?.double ?? 1)
        guard attnFactor > 0, attnFactor.isFinite else { throw GGUFError.corrupt("\(a): RoPE attention factor \(attnFactor) is not positive") }
    }

    init(base: Float) { self.base = base }
}
