#ifndef CKERNELS_H
#define CKERNELS_H
// Hand-vectorised kernels for quantised weights (GGML block layouts). Every kernel has an
// AVX2/FMA/F16C variant chosen at run time and a portable fallback that computes the very same
// floating-point operations in the same order, so results do not depend on the CPU. Products of
// 4 or more tokens use AVX-512 VNNI register tiles where the CPU has them, with the same bits.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// GGML tensor type numbers (as stored in GGUF).
enum {
    CK_TYPE_F32 = 0,
    CK_TYPE_F16 = 1,
    CK_TYPE_Q4_0 = 2,
    CK_TYPE_Q4_1 = 3,
    CK_TYPE_Q5_0 = 6,
    CK_TYPE_Q5_1 = 7,
    CK_TYPE_Q8_0 = 8,
    CK_TYPE_Q8_1 = 9,
    CK_TYPE_Q2_K = 10,
    CK_TYPE_Q3_K = 11,
    CK_TYPE_Q4_K = 12,
    CK_TYPE_Q5_K = 13,
    CK_TYPE_Q6_K = 14,
    CK_TYPE_Q8_K = 15,
    CK_TYPE_BF16 = 30,
};

/// Elements per block of `type` (1 for F32/F16/BF16, 32, or 256 for K-quants); 0 if unsupported.
int ck_block_size(int type);
float ck_bf16_to_fp32(uint16_t h);
uint16_t ck_fp32_to_bf16(float f);

/// 1 when the AVX2+FMA+F16C kernels are in use.
int ck_has_avx2(void);
/// Force the portable kernels (for tests comparing both paths); 0 restores auto-detection.
void ck_force_portable(int on);
/// Keep to the AVX2 kernels where AVX-512 VNNI ones exist (for tests comparing the paths);
/// 0 restores auto-detection. The VNNI kernels give the same bits as the AVX2 and portable ones.
void ck_force_avx2(int on);

/// Type the activation vector is converted to before a dot product with weights of `type`
/// (-1 when `type` is unsupported).
int ck_vec_dot_type(int weight_type);
/// Bytes of one row of `n` elements of `type` (n a multiple of the block size).
size_t ck_row_bytes(int type, int n);
/// Converts an F32 activation row to `vec_dot_type` (F32: copy, F16: rounding, Q8_0/Q8_1: blocks).
void ck_quantize_row(int vec_dot_type, const float *x, void *dst, int n);

/// out[t * out_stride + r] = dot(row r of w, activation t) for r in [row0, row1), t in [0, ntok).
/// `xq` holds ntok activation rows already converted with ck_quantize_row, `xq_stride` bytes apart.
void ck_matmul(int weight_type, const void *w, size_t w_row_bytes, int n,
               int row0, int row1, const void *xq, size_t xq_stride, int ntok,
               float *out, size_t out_stride);

/// Dequantises row `row` of `w` into `out` (n floats).
void ck_dequantize_row(int type, const void *w, size_t w_row_bytes, int row, int n, float *out);

uint16_t ck_fp32_to_fp16(float f);
float ck_fp16_to_fp32(uint16_t h);
void ck_fp32_to_fp16_row(const float *x, uint16_t *y, int n);
/// y[i] = x[i] rounded to F16 and back (RNE), e.g. a row entering the F16-valued KV cache.
void ck_round_to_fp16(const float *x, float *y, int n);

/// y = (x / rms(x)) * w, the sum of squares in double as GGML does.
void ck_rms_norm(const float *x, const float *w, float *y, int n, float eps);
/// RoPE settings shared by every call of one layer. `ext_factor` and the correction dims are
/// YaRN's (ext_factor 0: plain or linear RoPE); `attn_factor` scales cos and sin (YaRN's and
/// Phi-3 long-rope's magnitude correction; 1 otherwise). `freq_factors` may be NULL.
typedef struct {
    float freq_base, freq_scale, ext_factor, attn_factor;
    float corr_dims[2];
    const float *freq_factors;
    int neox;
} ck_rope_params;

/// YaRN's correction range for a rotation over `n_dims` dims trained on `n_ctx_orig` positions
/// (beta_fast 32, beta_slow 1 as GGML's defaults), written into `dims`.
void ck_rope_yarn_corr_dims(int n_dims, int n_ctx_orig, float freq_base, float beta_fast, float beta_slow, float dims[2]);
/// RoPE's cos/sin pairs at `pos` (head_dim floats): pairs rotate by
/// freq_scale * pos * base^(-2i/head_dim) / freq_factors[i] (blended with the unscaled angle
/// under YaRN), angles built as GGML builds them. The same for every layer with the same
/// settings, so a pass computes them once per position.
void ck_rope_angles(int head_dim, int pos, const ck_rope_params *p, float *cache);
/// In-place RoPE on `nheads` heads of `head_dim` with angles from ck_rope_angles. `neox` pairs
/// dimension i with i + head_dim/2 instead of 2i, 2i+1.
void ck_rope_rotate(float *x, int nheads, int head_dim, const float *cache, int neox);
/// gate[i] = silu(gate[i]) * up[i], with GGML's vector exp
void ck_swiglu(float *gate, const float *up, int n);
/// gate[i] = gelu(gate[i]) * up[i], GELU's tanh form looked up as GGML does (input and output
/// rounded to F16; exact outside [-10, 10])
void ck_geglu(float *gate, const float *up, int n);
/// x[i] = cap * tanh(x[i] / cap): Gemma 2's logit soft-capping
void ck_softcap(float *x, int n, float cap);
/// x[i] += y[i]
void ck_add(float *x, const float *y, int n);

/// Causal attention of one query head over `npos` cached positions. K and V rows are `kv_stride`
/// floats apart and hold values already rounded to F16 (the cache type llama.cpp uses).
/// GGML's non-flash path: q rounded to F16, softmax in F32 with a double sum, probabilities
/// rounded to F16 before multiplying V. `multi`: the query is one of several tokens of its
/// sequence in this pass (llama.cpp then sums in another order). `softcap` > 0 caps each score
/// as cap * tanh(score / cap) before the softmax (Gemma 2). `scratch` holds npos floats;
/// head_dim <= 256.
void ck_attention_head_f32(const float *q, const float *k, const float *v, size_t kv_stride,
                           int npos, int head_dim, float scale, float softcap, int multi, float *scratch, float *out);

#ifdef __cplusplus
}
#endif
#endif
