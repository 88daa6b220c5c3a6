#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H
// Shared between the kernel files; not part of the module's interface.
#include "ckernels.h"
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_X86 1
#endif

/// Bytes of one Q8_K activation block: F32 scale, 256 quants, 16 sums of 16 quants.
#define CK_Q8_K_BYTES 292

static inline uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline float h2f(const uint8_t *p) { return ck_fp16_to_fp32(rd16(p)); }

// The 8-lane reduction tree of llama.cpp's hsum_float_8.
static inline float hsum8(const float a[8]) {
    float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    r0 = r0 + r2; r1 = r1 + r3;
    return r0 + r1;
}

// Q4_K / Q5_K pack eight 6-bit scales and eight 6-bit minimums into 12 bytes.
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63; *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Q3_K packs sixteen 6-bit scales, stored plus 32, into 12 bytes: the low nibbles in the first 8
// bytes (sub-blocks 8..15 in the high nibbles), the two top bits in the last 4 (sub-blocks 0..3
// in their lowest bit pair, 4..7 in the next, ...). Eight scales at a time in a little-endian
// 64-bit word, with no per-scale branch, so the AVX2 kernels can use it per block.
static inline void scales_q3_K(const uint8_t *s12, int8_t sc[16]) {
    const uint64_t m4 = 0x0F0F0F0F0F0F0F0Full;
    uint64_t lo; uint32_t hi; memcpy(&lo, s12, 8); memcpy(&hi, s12 + 8, 4);
    const uint64_t h0 = (uint64_t)(hi & 0x03030303u) | (uint64_t)((hi >> 2) & 0x03030303u) << 32;
    const uint64_t h1 = (uint64_t)((hi >> 4) & 0x03030303u) | (uint64_t)((hi >> 6) & 0x03030303u) << 32;
    const uint64_t v[2] = {(lo & m4) | h0 << 4, ((lo >> 4) & m4) | h1 << 4};
    uint8_t b[16]; memcpy(b, v, 16);
    for (int s = 0; s < 16; s++) sc[s] = (int8_t)(b[s] - 32);
}

#if CK_X86
#define TGT __attribute__((target("avx2,fma,f16c")))

TGT static inline float hsum_float_8(__m256 x) {
    __m128 res = _mm256_extractf128_ps(x, 1);
    res = _mm_add_ps(res, _mm256_castps256_ps128(x));
    res = _mm_add_ps(res, _mm_movehl_ps(res, res));
    res = _mm_add_ss(res, _mm_movehdup_ps(res));
    return _mm_cvtss_f32(res);
}

TGT static inline float h2f_hw(const uint8_t *p) { return _cvtsh_ss(rd16(p)); }

// 32 nibbles to bytes: the 16 low nibbles first, then the 16 high ones.
TGT static inline __m256i bytes_from_nibbles_32(const uint8_t *p) {
    const __m128i tmp = _mm_loadu_si128((const __m128i *)p);
    const __m256i bytes = _mm256_insertf128_si256(_mm256_castsi128_si256(tmp), _mm_srli_epi16(tmp, 4), 1);
    return _mm256_and_si256(_mm256_set1_epi8(0xF), bytes);
}

// Decoding (fewer than 4 tokens): the block scales of each activation row as floats (and the
// scaled sums of Q8_1 rows), converted once per product instead of once per weight row.
#define CK_DECODE_MAX_BLOCKS 1024
TGT static inline void decode_scales(const uint8_t *xq, size_t xs, int ntok, int nb, int q8_1,
                                     float dy[][CK_DECODE_MAX_BLOCKS], float sy[][CK_DECODE_MAX_BLOCKS]) {
    const int ybs = q8_1 ? 36 : 34;
    for (int tk = 0; tk < ntok; tk++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *yb = xq + (size_t)tk * xs + (size_t)b * ybs;
            dy[tk][b] = h2f_hw(yb);
            sy[tk][b] = q8_1 ? h2f_hw(yb + 2) : 0.0f;
        }
}

// A decoding kernel: `R` (1 or 2) weight rows `rb` bytes apart against one activation row `y`
// with its block scales `dy` (and Q8_1 sums `sy`), into out[0..R).
typedef void (*ck_decode_rows_fn)(int R, int nb, const uint8_t *w, size_t rb, const uint8_t *y,
                                  const float *dy, const float *sy, float *out);

// Rows row0..row1 of a product of fewer than 4 tokens through `f`: per 16-row tile (kept in L1
// for the next token), each token's rows two at a time. 0 (nothing done) when the row is too
// long for the scale buffers or there are 4 tokens or more.
TGT static inline int decode_matmul(ck_decode_rows_fn f, int q8_1, const uint8_t *w, size_t rb, int n, int row0, int row1,
                                    const uint8_t *xq, size_t xs, int ntok, float *out, size_t os) {
    const int nb = n / 32;
    if (nb > CK_DECODE_MAX_BLOCKS || ntok > 3) return 0;
    float dy[3][CK_DECODE_MAX_BLOCKS], sy[3][CK_DECODE_MAX_BLOCKS];
    decode_scales(xq, xs, ntok, nb, q8_1, dy, sy);
    for (int r0 = row0; r0 < row1; r0 += 16) {
        const int r1 = r0 + 16 < row1 ? r0 + 16 : row1;
        for (int tk = 0; tk < ntok; tk++)
            for (int r = r0; r < r1; r += 2)
                f(r + 2 <= r1 ? 2 : 1, nb, w + (size_t)r * rb, rb, xq + (size_t)tk * xs, dy[tk], sy[tk], out + (size_t)tk * os + r);
    }
    return 1;
}

// unsigned x signed bytes: 8 lanes, each the sum of 4 neighbouring products, as floats.
TGT static inline __m256 mul_sum_us8_pairs_float(__m256i ax, __m256i sy) {
    const __m256i dot = _mm256_maddubs_epi16(ax, sy);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), dot));
}

TGT static inline __m256 mul_sum_i8_pairs_float(__m256i x, __m256i y) {
    return mul_sum_us8_pairs_float(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// Sixteen signed 8-bit sub-block scales as each 32-quant chunk's 16-bit multipliers of its
// _mm256_maddubs_epi16 pairs: chunk c's pairs 0..7 take scale 2c, pairs 8..15 scale 2c + 1.
TGT static inline void chunk_scales(__m128i sc8, __m256i out[8]) {
    const __m256i s16 = _mm256_cvtepi8_epi16(sc8);
    const __m256i half[2] = {_mm256_permute4x64_epi64(s16, 0x44), _mm256_permute4x64_epi64(s16, 0xEE)};
    for (int c = 0; c < 8; c++) {
        const int k = c % 4;   // scales 2c, 2c + 1 are 16-bit elements 2k, 2k + 1 of their half
        const __m256i pick = _mm256_set_m128i(_mm_set1_epi16((short)(((4 * k + 3) << 8) | (4 * k + 2))),
                                              _mm_set1_epi16((short)(((4 * k + 1) << 8) | (4 * k))));
        out[c] = _mm256_shuffle_epi8(half[c / 4], pick);
    }
}
#endif

void ck_quantize_row_q8_K(const float *x, uint8_t *y, int n);
/// Dequantises a row of the types in kquants.c; 0 when `t` is not one of them.
int ck_dequantize_row_more(int t, const uint8_t *p, int n, float *out);
// Portable kernels; each AVX2 twin below gives the same bits.
float ck_dot_q5_0_q8_0(int n, const void *x, const void *y);
float ck_dot_q5_1_q8_1(int n, const void *x, const void *y);
float ck_dot_q4_K_q8_K(int n, const void *x, const void *y);
float ck_dot_q5_K_q8_K(int n, const void *x, const void *y);
float ck_dot_q6_K_q8_K(int n, const void *x, const void *y);
float ck_dot_q2_K_q8_K(int n, const void *x, const void *y);
float ck_dot_q3_K_q8_K(int n, const void *x, const void *y);
float ck_dot_bf16(int n, const void *x, const void *y);
#if CK_X86
float ck_dot_q5_0_q8_0_avx2(int n, const void *x, const void *y);
float ck_dot_q5_1_q8_1_avx2(int n, const void *x, const void *y);
float ck_dot_q4_K_q8_K_avx2(int n, const void *x, const void *y);
float ck_dot_q5_K_q8_K_avx2(int n, const void *x, const void *y);
float ck_dot_q6_K_q8_K_avx2(int n, const void *x, const void *y);
float ck_dot_q2_K_q8_K_avx2(int n, const void *x, const void *y);
float ck_dot_q3_K_q8_K_avx2(int n, const void *x, const void *y);
float ck_dot_bf16_avx2(int n, const void *x, const void *y);
/// 1 when the AVX-512 VNNI tiles (tiles_vnni.c) are in use.
int ck_has_vnni(void);
/// ck_matmul through the VNNI tiles; 0 (nothing done) for a type they do not cover.
int ck_matmul_vnni(int t, const uint8_t *w, size_t rb, int n, int row0, int row1,
                   const uint8_t *xq, size_t xs, int ntok, float *out, size_t os);
// Four activations against one weight row, each sum the bits of the single product.
void ck_dot4_q5_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
void ck_dot4_q5_1_q8_1_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
void ck_dot4_q4_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
void ck_dot4_q5_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
void ck_dot4_q6_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
void ck_dot4_q2_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
void ck_dot4_q3_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]);
#endif
#endif
