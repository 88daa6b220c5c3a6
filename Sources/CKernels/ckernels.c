// Quantised dot products and the few element-wise ops of a Llama decoder.
//
// Why the odd accumulation pattern: llama.cpp (the reference this engine is checked against)
// sums each 32-weight block as 8 lanes of 4 integer products, accumulates lane-wise with FMA and
// reduces the 8 lanes in a fixed tree. Doing exactly that (in AVX2 and in the portable lane
// emulation) makes our logits bit-identical to it, so greedy decoding agrees token for token.
#pragma STDC FP_CONTRACT OFF
#include "ckernels.h"
#include "ckernels_internal.h"
#include <math.h>
#include <pthread.h>
#include <string.h>

// ---------------------------------------------------------------- F16 conversion (exact, RNE)

static inline uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float ck_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) {
        if (mant == 0) return u2f(sign);
        int e = 0;
        while (!(mant & 0x400)) { mant <<= 1; e++; }
        mant &= 0x3ff;
        return u2f(sign | ((uint32_t)(113 - e) << 23) | (mant << 13));
    }
    if (exp == 31) return u2f(sign | 0x7f800000u | (mant << 13));
    return u2f(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t ck_fp32_to_fp16(float f) {
    // Scale into the F16 range so the FPU does the round-to-nearest-even for us.
    float base = (fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = f2u(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = u2f((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = f2u(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const uint32_t mantissa_bits = bits & 0x00000FFFu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

void ck_fp32_to_fp16_row(const float *x, uint16_t *y, int n) {
    for (int i = 0; i < n; i++) y[i] = ck_fp32_to_fp16(x[i]);
}

#if CK_X86
// F16C's conversions round to nearest even as ck_fp32_to_fp16 does, so the values are the same.
TGT static void round_to_fp16_f16c(const float *x, float *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
    for (; i < n; i++) y[i] = ck_fp16_to_fp32(ck_fp32_to_fp16(x[i]));
}
#endif

void ck_round_to_fp16(const float *x, float *y, int n) {
#if CK_X86
    if (ck_has_avx2()) { round_to_fp16_f16c(x, y, n); return; }
#endif
    for (int i = 0; i < n; i++) y[i] = ck_fp16_to_fp32(ck_fp32_to_fp16(x[i]));
}


// ---------------------------------------------------------------- CPU dispatch

static int g_mode = -1;   // -1 unknown, 0 portable, 1 avx2 (benign race: every writer stores the same)
static int g_force_portable = 0;

int ck_has_avx2(void) {
    if (g_force_portable) return 0;
    if (g_mode < 0) {
#if CK_X86
        __builtin_cpu_init();
        g_mode = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                  && __builtin_cpu_supports("f16c")) ? 1 : 0;
#else
        g_mode = 0;
#endif
    }
    return g_mode;
}

void ck_force_portable(int on) { g_force_portable = on; }

static int g_vnni = -1;   // -1 unknown, else whether AVX-512 VNNI (with VL and BW) is there
static int g_force_avx2 = 0;

int ck_has_vnni(void) {
    if (g_force_avx2 || !ck_has_avx2()) return 0;
    if (g_vnni < 0) {
#if CK_X86
        g_vnni = (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
                  && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")) ? 1 : 0;
#else
        g_vnni = 0;
#endif
    }
    return g_vnni;
}

void ck_force_avx2(int on) { g_force_avx2 = on; }

// ---------------------------------------------------------------- layouts

int ck_vec_dot_type(int t) {
    switch (t) {
    case CK_TYPE_F32: return CK_TYPE_F32;
    case CK_TYPE_F16: return CK_TYPE_F16;
    case CK_TYPE_Q4_0: return CK_TYPE_Q8_0;
    case CK_TYPE_Q4_1: return CK_TYPE_Q8_1;
    case CK_TYPE_Q8_0: return CK_TYPE_Q8_0;
    case CK_TYPE_Q5_0: return CK_TYPE_Q8_0;
    case CK_TYPE_Q5_1: return CK_TYPE_Q8_1;
    case CK_TYPE_Q2_K: case CK_TYPE_Q3_K: case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: return CK_TYPE_Q8_K;
    case CK_TYPE_BF16: return CK_TYPE_BF16;
    default: return -1;
    }
}

int ck_block_size(int t) {
    switch (t) {
    case CK_TYPE_F32: case CK_TYPE_F16: case CK_TYPE_BF16: return 1;
    case CK_TYPE_Q4_0: case CK_TYPE_Q4_1: case CK_TYPE_Q5_0: case CK_TYPE_Q5_1: case CK_TYPE_Q8_0: case CK_TYPE_Q8_1: return 32;
    case CK_TYPE_Q2_K: case CK_TYPE_Q3_K: case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: case CK_TYPE_Q8_K: return 256;
    default: return 0;
    }
}

size_t ck_row_bytes(int t, int n) {
    switch (t) {
    case CK_TYPE_F32: return (size_t)n * 4;
    case CK_TYPE_F16: return (size_t)n * 2;
    case CK_TYPE_Q4_0: return (size_t)(n / 32) * 18;
    case CK_TYPE_Q4_1: return (size_t)(n / 32) * 20;
    case CK_TYPE_Q8_0: return (size_t)(n / 32) * 34;
    case CK_TYPE_Q8_1: return (size_t)(n / 32) * 36;
    case CK_TYPE_Q5_0: return (size_t)(n / 32) * 22;
    case CK_TYPE_Q5_1: return (size_t)(n / 32) * 24;
    case CK_TYPE_Q2_K: return (size_t)(n / 256) * 84;
    case CK_TYPE_Q3_K: return (size_t)(n / 256) * 110;
    case CK_TYPE_Q4_K: return (size_t)(n / 256) * 144;
    case CK_TYPE_Q5_K: return (size_t)(n / 256) * 176;
    case CK_TYPE_Q6_K: return (size_t)(n / 256) * 210;
    case CK_TYPE_Q8_K: return (size_t)(n / 256) * CK_Q8_K_BYTES;
    case CK_TYPE_BF16: return (size_t)n * 2;
    default: return 0;
    }
}

// Q8_0 / Q8_1 activation blocks as llama.cpp's x86 quantize_row_q8_x: scale max|x|/127,
// multiplier 127/max, round half to even.
static void quantize_q8(const float *x, uint8_t *y, int n, int with_sum) {
    const size_t bs = with_sum ? 36 : 34;
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + b * 32;
        uint8_t *yb = y + b * bs;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) { float a = fabsf(xb[j]); amax = a > amax ? a : amax; }
        const float d = amax / 127.f;
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        uint16_t dh = ck_fp32_to_fp16(d);
        memcpy(yb, &dh, 2);
        int8_t *qs = (int8_t *)(yb + (with_sum ? 4 : 2));
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)nearbyintf(xb[j] * id);
            q = q > 127 ? 127 : (q < -128 ? -128 : q);
            qs[j] = (int8_t)q;
            sum += q;
        }
        if (with_sum) {
            uint16_t sh = ck_fp32_to_fp16(d * (float)sum);
            memcpy(yb + 2, &sh, 2);
        }
    }
}

#if CK_X86
// quantize_q8 on 8 lanes: the same max, scale, rounding (round half to even, as nearbyintf in
// the default mode), clamping (by saturating packs) and exact integer sum. (A NaN input, whose
// conversion to int the scalar code leaves undefined, may give another byte; the row is garbage
// either way.)
TGT static void quantize_q8_avx2(const float *x, uint8_t *y, int n, int with_sum) {
    const size_t bs = with_sum ? 36 : 34;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + b * 32;
        uint8_t *yb = y + b * bs;
        __m256 v[4], mx = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) { v[k] = _mm256_loadu_ps(xb + 8 * k); mx = _mm256_max_ps(_mm256_andnot_ps(sign, v[k]), mx); }   // a NaN is skipped, as in the scalar loop
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const float d = amax / 127.f;
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        uint16_t dh = ck_fp32_to_fp16(d);
        memcpy(yb, &dh, 2);
        const __m256 idv = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++)
            q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], idv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        // packs interleave 128-bit halves; the permute puts the 32 bytes back in order
        const __m256i p16a = _mm256_packs_epi32(q[0], q[1]), p16b = _mm256_packs_epi32(q[2], q[3]);
        __m256i p8 = _mm256_packs_epi16(p16a, p16b);
        p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(yb + (with_sum ? 4 : 2)), p8);
        if (with_sum) {
            const __m256i s16 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), p8), _mm256_set1_epi16(1));
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s16), _mm256_extracti128_si256(s16, 1));
            s4 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 1));
            uint16_t sh = ck_fp32_to_fp16(d * (float)_mm_cvtsi128_si32(s4));
            memcpy(yb + 2, &sh, 2);
        }
    }
}
#endif

void ck_quantize_row(int t, const float *x, void *dst, int n) {
#if CK_X86
    if ((t == CK_TYPE_Q8_0 || t == CK_TYPE_Q8_1) && ck_has_avx2()) { quantize_q8_avx2(x, (uint8_t *)dst, n, t == CK_TYPE_Q8_1); return; }
#endif
    switch (t) {
    case CK_TYPE_F32: memcpy(dst, x, (size_t)n * 4); break;
    case CK_TYPE_F16: ck_fp32_to_fp16_row(x, (uint16_t *)dst, n); break;
    case CK_TYPE_Q8_0: quantize_q8(x, (uint8_t *)dst, n, 0); break;
    case CK_TYPE_Q8_1: quantize_q8(x, (uint8_t *)dst, n, 1); break;
    case CK_TYPE_Q8_K: ck_quantize_row_q8_K(x, (uint8_t *)dst, n); break;
    case CK_TYPE_BF16: for (int i = 0; i < n; i++) ((uint16_t *)dst)[i] = ck_fp32_to_bf16(x[i]); break;
    default: break;
    }
}

void ck_dequantize_row(int t, const void *w, size_t rb, int row, int n, float *out) {
    const uint8_t *p = (const uint8_t *)w + (size_t)row * rb;
    switch (t) {
    case CK_TYPE_F32: memcpy(out, p, (size_t)n * 4); break;
    case CK_TYPE_F16: for (int i = 0; i < n; i++) out[i] = h2f(p + 2 * i); break;
    case CK_TYPE_Q8_0:
        for (int b = 0; b < n / 32; b++) {
            const uint8_t *blk = p + b * 34; const float d = h2f(blk);
            for (int j = 0; j < 32; j++) out[b * 32 + j] = (float)((const int8_t *)(blk + 2))[j] * d;
        }
        break;
    case CK_TYPE_Q4_0:
        for (int b = 0; b < n / 32; b++) {
            const uint8_t *blk = p + b * 18; const float d = h2f(blk);
            for (int j = 0; j < 16; j++) {
                out[b * 32 + j] = (float)((blk[2 + j] & 0xF) - 8) * d;
                out[b * 32 + j + 16] = (float)((blk[2 + j] >> 4) - 8) * d;
            }
        }
        break;
    case CK_TYPE_Q4_1:
        for (int b = 0; b < n / 32; b++) {
            const uint8_t *blk = p + b * 20; const float d = h2f(blk), m = h2f(blk + 2);
            for (int j = 0; j < 16; j++) {
                out[b * 32 + j] = (float)(blk[4 + j] & 0xF) * d + m;
                out[b * 32 + j + 16] = (float)(blk[4 + j] >> 4) * d + m;
            }
        }
        break;
    default: if (!ck_dequantize_row_more(t, p, n, out)) memset(out, 0, (size_t)n * 4); break;
    }
}

// ---------------------------------------------------------------- portable dot products


static float dot_q4_1_q8_1_portable(int n, const uint8_t *x, const uint8_t *y) {
    float acc[8] = {0}; float summs = 0;
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 20, *yb = y + b * 36;
        const float d0 = h2f(xb), m0 = h2f(xb + 2), d1 = h2f(yb), s1 = h2f(yb + 2);
        summs = fmaf(m0, s1, summs);
        const float dd = d0 * d1;
        const int8_t *qy = (const int8_t *)(yb + 4);
        int q[32];
        for (int j = 0; j < 16; j++) { q[j] = xb[4 + j] & 0xF; q[j + 16] = xb[4 + j] >> 4; }
        for (int l = 0; l < 8; l++) {
            int s = q[4*l] * qy[4*l] + q[4*l+1] * qy[4*l+1] + q[4*l+2] * qy[4*l+2] + q[4*l+3] * qy[4*l+3];
            acc[l] = fmaf(dd, (float)s, acc[l]);
        }
    }
    return hsum8(acc) + summs;
}

static float dot_q8_0_q8_0_portable(int n, const uint8_t *x, const uint8_t *y) {
    float acc[8] = {0};
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 34, *yb = y + b * 34;
        const float dd = h2f(xb) * h2f(yb);
        const int8_t *qx = (const int8_t *)(xb + 2), *qy = (const int8_t *)(yb + 2);
        for (int l = 0; l < 8; l++) {
            int s = qx[4*l] * qy[4*l] + qx[4*l+1] * qy[4*l+1] + qx[4*l+2] * qy[4*l+2] + qx[4*l+3] * qy[4*l+3];
            acc[l] = fmaf(dd, (float)s, acc[l]);
        }
    }
    return hsum8(acc);
}

static float dot_q4_0_q8_0_portable(int n, const uint8_t *x, const uint8_t *y) {
    float acc[8] = {0};
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 18, *yb = y + b * 34;
        const float dd = h2f(xb) * h2f(yb);
        const int8_t *qy = (const int8_t *)(yb + 2);
        int q[32];
        for (int j = 0; j < 16; j++) { q[j] = (xb[2 + j] & 0xF) - 8; q[j + 16] = (xb[2 + j] >> 4) - 8; }
        for (int l = 0; l < 8; l++) {
            int s = q[4*l] * qy[4*l] + q[4*l+1] * qy[4*l+1] + q[4*l+2] * qy[4*l+2] + q[4*l+3] * qy[4*l+3];
            acc[l] = fmaf(dd, (float)s, acc[l]);
        }
    }
    return hsum8(acc);
}

// F32 and F16: 8 FMA lanes, the same tree, then a scalar FMA tail.
static float dot_f32_portable(int n, const float *x, const float *y) {
    float acc[8] = {0}; int i = 0;
    for (; i + 8 <= n; i += 8) for (int l = 0; l < 8; l++) acc[l] = fmaf(x[i + l], y[i + l], acc[l]);
    float s = hsum8(acc);
    for (; i < n; i++) s = fmaf(x[i], y[i], s);
    return s;
}

static float dot_f16_portable(int n, const uint16_t *x, const uint16_t *y) {
    float acc[8] = {0}; int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] = fmaf(ck_fp16_to_fp32(x[i + l]), ck_fp16_to_fp32(y[i + l]), acc[l]);
    float s = hsum8(acc);
    for (; i < n; i++) s = fmaf(ck_fp16_to_fp32(x[i]), ck_fp16_to_fp32(y[i]), s);
    return s;
}

// ---------------------------------------------------------------- AVX2 dot products

#if CK_X86


TGT static float dot_q4_1_q8_1_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc = _mm256_setzero_ps(); float summs = 0;
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 20, *yb = y + b * 36;
        const float d0 = h2f_hw(xb), d1 = h2f_hw(yb);
        summs = fmaf(h2f_hw(xb + 2), h2f_hw(yb + 2), summs);
        const __m256 dd = _mm256_set1_ps(d0 * d1);
        const __m256i qx = bytes_from_nibbles_32(xb + 4);
        const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + 4));
        acc = _mm256_fmadd_ps(dd, mul_sum_us8_pairs_float(qx, qy), acc);
    }
    return hsum_float_8(acc) + summs;
}

TGT static float dot_q8_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 34, *yb = y + b * 34;
        const __m256 dd = _mm256_set1_ps(h2f_hw(xb) * h2f_hw(yb));
        const __m256i qx = _mm256_loadu_si256((const __m256i *)(xb + 2));
        const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + 2));
        acc = _mm256_fmadd_ps(dd, mul_sum_i8_pairs_float(qx, qy), acc);
    }
    return hsum_float_8(acc);
}

TGT static float dot_q4_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 18, *yb = y + b * 34;
        const __m256 dd = _mm256_set1_ps(h2f_hw(xb) * h2f_hw(yb));
        const __m256i qx = _mm256_sub_epi8(bytes_from_nibbles_32(xb + 2), _mm256_set1_epi8(8));
        const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + 2));
        acc = _mm256_fmadd_ps(dd, mul_sum_i8_pairs_float(qx, qy), acc);
    }
    return hsum_float_8(acc);
}

TGT static float dot_f32_avx2(int n, const float *x, const float *y) {
    __m256 acc = _mm256_setzero_ps(); int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc);
    float s = hsum_float_8(acc);
    for (; i < n; i++) s = fmaf(x[i], y[i], s);
    return s;
}

TGT static float dot_f16_avx2(int n, const uint16_t *x, const uint16_t *y) {
    __m256 acc = _mm256_setzero_ps(); int i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))),
                              _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i))), acc);
    float s = hsum_float_8(acc);
    for (; i < n; i++) s = fmaf(_cvtsh_ss(x[i]), _cvtsh_ss(y[i]), s);
    return s;
}

// Four activations against one weight row: the weight block is unpacked once and reused, which
// is what makes prompt processing (many tokens per pass) faster than one dot product at a time.
// Each of the four sums is computed with exactly the operations, in the order, of the single
// dot product above, so the results are the same bits.
TGT static void dot4_q4_1_q8_1_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]) {
    (void)ys;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float summs[4] = {0, 0, 0, 0};
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 20;
        const float d0 = h2f_hw(xb), m0 = h2f_hw(xb + 2);
        const __m256i qx = bytes_from_nibbles_32(xb + 4);
        for (int t = 0; t < 4; t++) {
            const uint8_t *yb = y[t] + b * 36;
            summs[t] = fmaf(m0, h2f_hw(yb + 2), summs[t]);
            const __m256 dd = _mm256_set1_ps(d0 * h2f_hw(yb));
            const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + 4));
            acc[t] = _mm256_fmadd_ps(dd, mul_sum_us8_pairs_float(qx, qy), acc[t]);
        }
    }
    for (int t = 0; t < 4; t++) out[t] = hsum_float_8(acc[t]) + summs[t];
}

TGT static void dot4_q8_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]) {
    (void)ys;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 34;
        const float dx = h2f_hw(xb);
        const __m256i qx = _mm256_loadu_si256((const __m256i *)(xb + 2));
        const __m256i ax = _mm256_sign_epi8(qx, qx);
        for (int t = 0; t < 4; t++) {
            const uint8_t *yb = y[t] + b * 34;
            const __m256 dd = _mm256_set1_ps(dx * h2f_hw(yb));
            const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + 2));
            acc[t] = _mm256_fmadd_ps(dd, mul_sum_us8_pairs_float(ax, _mm256_sign_epi8(qy, qx)), acc[t]);
        }
    }
    for (int t = 0; t < 4; t++) out[t] = hsum_float_8(acc[t]);
}

TGT static void dot4_q4_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t ys, float out[4]) {
    (void)ys;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * 18;
        const float dx = h2f_hw(xb);
        const __m256i qx = _mm256_sub_epi8(bytes_from_nibbles_32(xb + 2), _mm256_set1_epi8(8));
        const __m256i ax = _mm256_sign_epi8(qx, qx);
        for (int t = 0; t < 4; t++) {
            const uint8_t *yb = y[t] + b * 34;
            const __m256 dd = _mm256_set1_ps(dx * h2f_hw(yb));
            const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + 2));
            acc[t] = _mm256_fmadd_ps(dd, mul_sum_us8_pairs_float(ax, _mm256_sign_epi8(qy, qx)), acc[t]);
        }
    }
    for (int t = 0; t < 4; t++) out[t] = hsum_float_8(acc[t]);
}

// One activation against two rows side by side (decoding on CPUs without AVX-512 VNNI): each
// row keeps the single product's chain of block FMAs, and the two chains overlap instead of one
// waiting on the other's FMA latency. The activation's block scales come in as floats (`dy`,
// Q8_1's scaled sums `sy`), converted once per product. Q4_0 (q1 = 0) and Q4_1 (q1 = 1).
TGT static inline __attribute__((always_inline)) void dot2_q4_avx2(int q1, int R, int nb, const uint8_t *w, size_t rb,
                                                                  const uint8_t *y, const float *dy, const float *sy, float *out) {
    const int xbs = q1 ? 20 : 18, ybs = q1 ? 36 : 34, qoff = q1 ? 4 : 2;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    float summs[2] = {0, 0};
    for (int b = 0; b < nb; b++) {
        const __m256i qy = _mm256_loadu_si256((const __m256i *)(y + (size_t)b * ybs + qoff));
        for (int r = 0; r < R; r++) {
            const uint8_t *xb = w + (size_t)r * rb + (size_t)b * xbs;
            const __m256 dd = _mm256_set1_ps(h2f_hw(xb) * dy[b]);
            if (q1) {
                summs[r] = fmaf(h2f_hw(xb + 2), sy[b], summs[r]);
                acc[r] = _mm256_fmadd_ps(dd, mul_sum_us8_pairs_float(bytes_from_nibbles_32(xb + 4), qy), acc[r]);
            } else {
                const __m256i qx = _mm256_sub_epi8(bytes_from_nibbles_32(xb + 2), _mm256_set1_epi8(8));
                acc[r] = _mm256_fmadd_ps(dd, mul_sum_i8_pairs_float(qx, qy), acc[r]);
            }
        }
    }
    for (int r = 0; r < R; r++) out[r] = q1 ? hsum_float_8(acc[r]) + summs[r] : hsum_float_8(acc[r]);
}

TGT static void dot2_q4_0_avx2(int R, int nb, const uint8_t *w, size_t rb, const uint8_t *y, const float *dy, const float *sy, float *o) { dot2_q4_avx2(0, R, nb, w, rb, y, dy, sy, o); }
TGT static void dot2_q4_1_avx2(int R, int nb, const uint8_t *w, size_t rb, const uint8_t *y, const float *dy, const float *sy, float *o) { dot2_q4_avx2(1, R, nb, w, rb, y, dy, sy, o); }

// Fewer than 4 tokens of Q4_0 / Q4_1 without VNNI; 0 (nothing done) for other types.
TGT static int matmul_decode_avx2(int t, const uint8_t *w, size_t rb, int n, int row0, int row1,
                                  const uint8_t *xq, size_t xs, int ntok, float *out, size_t os) {
    if (t != CK_TYPE_Q4_0 && t != CK_TYPE_Q4_1) return 0;
    const int q1 = t == CK_TYPE_Q4_1;
    return decode_matmul(q1 ? dot2_q4_1_avx2 : dot2_q4_0_avx2, q1, w, rb, n, row0, row1, xq, xs, ntok, out, os);
}
#endif

typedef float (*dot_fn)(int, const void *, const void *);

static dot_fn pick_dot(int t) {
#if CK_X86
    if (ck_has_avx2()) {
        switch (t) {
        case CK_TYPE_F32: return (dot_fn)dot_f32_avx2;
        case CK_TYPE_F16: return (dot_fn)dot_f16_avx2;
        case CK_TYPE_Q4_0: return (dot_fn)dot_q4_0_q8_0_avx2;
        case CK_TYPE_Q4_1: return (dot_fn)dot_q4_1_q8_1_avx2;
        case CK_TYPE_Q8_0: return (dot_fn)dot_q8_0_q8_0_avx2;
        case CK_TYPE_Q5_0: return ck_dot_q5_0_q8_0_avx2;
        case CK_TYPE_Q5_1: return ck_dot_q5_1_q8_1_avx2;
        case CK_TYPE_Q4_K: return ck_dot_q4_K_q8_K_avx2;
        case CK_TYPE_Q5_K: return ck_dot_q5_K_q8_K_avx2;
        case CK_TYPE_Q6_K: return ck_dot_q6_K_q8_K_avx2;
        case CK_TYPE_Q2_K: return ck_dot_q2_K_q8_K_avx2;
        case CK_TYPE_Q3_K: return ck_dot_q3_K_q8_K_avx2;
        case CK_TYPE_BF16: return ck_dot_bf16_avx2;
        default: break;
        }
    }
#endif
    switch (t) {
    case CK_TYPE_F32: return (dot_fn)dot_f32_portable;
    case CK_TYPE_F16: return (dot_fn)dot_f16_portable;
    case CK_TYPE_Q4_0: return (dot_fn)dot_q4_0_q8_0_portable;
    case CK_TYPE_Q4_1: return (dot_fn)dot_q4_1_q8_1_portable;
    case CK_TYPE_Q8_0: return (dot_fn)dot_q8_0_q8_0_portable;
    case CK_TYPE_Q5_0: return ck_dot_q5_0_q8_0;
    case CK_TYPE_Q5_1: return ck_dot_q5_1_q8_1;
    case CK_TYPE_Q4_K: return ck_dot_q4_K_q8_K;
    case CK_TYPE_Q5_K: return ck_dot_q5_K_q8_K;
    case CK_TYPE_Q6_K: return ck_dot_q6_K_q8_K;
    case CK_TYPE_Q2_K: return ck_dot_q2_K_q8_K;
    case CK_TYPE_Q3_K: return ck_dot_q3_K_q8_K;
    case CK_TYPE_BF16: return ck_dot_bf16;
    default: return 0;
    }
}

typedef void (*dot4_fn)(int, const uint8_t *, const uint8_t *const[4], size_t, float[4]);

static dot4_fn pick_dot4(int t) {
#if CK_X86
    if (ck_has_avx2()) {
        switch (t) {
        case CK_TYPE_Q4_0: return dot4_q4_0_q8_0_avx2;
        case CK_TYPE_Q4_1: return dot4_q4_1_q8_1_avx2;
        case CK_TYPE_Q8_0: return dot4_q8_0_q8_0_avx2;
        case CK_TYPE_Q5_0: return ck_dot4_q5_0_q8_0_avx2;
        case CK_TYPE_Q5_1: return ck_dot4_q5_1_q8_1_avx2;
        case CK_TYPE_Q4_K: return ck_dot4_q4_K_q8_K_avx2;
        case CK_TYPE_Q5_K: return ck_dot4_q5_K_q8_K_avx2;
        case CK_TYPE_Q6_K: return ck_dot4_q6_K_q8_K_avx2;
        case CK_TYPE_Q2_K: return ck_dot4_q2_K_q8_K_avx2;
        case CK_TYPE_Q3_K: return ck_dot4_q3_K_q8_K_avx2;
        default: return 0;
        }
    }
#endif
    (void)t;
    return 0;
}

void ck_matmul(int t, const void *w, size_t rb, int n, int row0, int row1,
               const void *xq, size_t xs, int ntok, float *out, size_t os) {
    const dot_fn f = pick_dot(t);
    if (!f) return;
#if CK_X86
    if (ck_has_vnni() && ck_matmul_vnni(t, (const uint8_t *)w, rb, n, row0, row1, (const uint8_t *)xq, xs, ntok, out, os)) return;
    if (ntok < 4 && ck_has_avx2() && matmul_decode_avx2(t, (const uint8_t *)w, rb, n, row0, row1, (const uint8_t *)xq, xs, ntok, out, os)) return;
#endif
    const dot4_fn f4 = ntok >= 4 ? pick_dot4(t) : 0;
    const uint8_t *wb = (const uint8_t *)w, *xb = (const uint8_t *)xq;
    // Tiles of 16 rows stay in L1 while every activation passes over them.
    for (int r0 = row0; r0 < row1; r0 += 16) {
        const int r1 = r0 + 16 < row1 ? r0 + 16 : row1;
        int tk = 0;
        if (f4) {
            for (; tk + 4 <= ntok; tk += 4) {
                const uint8_t *const ys[4] = {xb + (size_t)tk * xs, xb + (size_t)(tk + 1) * xs,
                                              xb + (size_t)(tk + 2) * xs, xb + (size_t)(tk + 3) * xs};
                for (int r = r0; r < r1; r++) {
                    float o4[4];
                    f4(n, wb + (size_t)r * rb, ys, xs, o4);
                    for (int j = 0; j < 4; j++) out[(size_t)(tk + j) * os + r] = o4[j];
                }
            }
        }
        for (; tk < ntok; tk++) {
            const void *x = xb + (size_t)tk * xs;
            float *o = out + (size_t)tk * os;
            for (int r = r0; r < r1; r++) o[r] = f(n, wb + (size_t)r * rb, x);
        }
    }
}

// ---------------------------------------------------------------- element-wise ops

void ck_rms_norm(const float *x, const float *w, float *y, int n, float eps) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++) y[i] = (x[i] * scale) * w[i];
}

void ck_rope_yarn_corr_dims(int n_dims, int n_ctx_orig, float base, float beta_fast, float beta_slow, float dims[2]) {
    // The dimension whose wavelength fits `rotations` times into the original context.
    #define CORR_DIM(rotations) ((float)n_dims * logf((float)n_ctx_orig / ((rotations) * 2 * (float)M_PI)) / (2 * logf(base)))
    const float start = floorf(CORR_DIM(beta_fast)), end = ceilf(CORR_DIM(beta_slow));
    #undef CORR_DIM
    dims[0] = start > 0 ? start : 0;
    dims[1] = end < (float)(n_dims - 1) ? end : (float)(n_dims - 1);
}

void ck_rope_angles(int hd, int pos, const ck_rope_params *p, float *cache) {
    // GGML's rope cache: theta_i = pos * base^(-2i/d), divided by a per-dimension factor
    // (Llama 3's rope_freqs, Phi-3's long/short factors) and scaled (linear scaling); under
    // YaRN each angle blends the scaled and unscaled ones along a ramp over the dimensions, and
    // the magnitude grows by 1 + 0.1 ln(1 / freq_scale). x1.0 and /1.0 are exact.
    const float theta_scale = powf(p->freq_base, -2.0f / (float)hd);
    float theta = (float)pos;
    for (int i = 0; i < hd; i += 2) {
        const float ff = p->freq_factors ? p->freq_factors[i / 2] : 1.0f;
        const float extrap = theta / ff, interp = p->freq_scale * extrap;
        float t = interp, mscale = p->attn_factor;
        if (p->ext_factor != 0.0f) {
            const float y = ((float)(i / 2) - p->corr_dims[0]) / fmaxf(0.001f, p->corr_dims[1] - p->corr_dims[0]);
            const float ramp = (1 - fminf(1, fmaxf(0, y))) * p->ext_factor;
            t = interp * (1 - ramp) + extrap * ramp;
            mscale *= 1.0f + 0.1f * logf(1.0f / p->freq_scale);
        }
        cache[i] = cosf(t) * mscale; cache[i + 1] = sinf(t) * mscale;
        theta *= theta_scale;
    }
}

void ck_rope_rotate(float *x, int nheads, int hd, const float *cache, int neox) {
    // Pairs are neighbours (2i, 2i+1) in Llama's layout, or i and i + d/2 in GPT-NeoX's (Qwen).
    const int stride = neox ? hd / 2 : 1;
    for (int h = 0; h < nheads; h++) {
        float *v = x + (size_t)h * hd;
        for (int i = 0; i < hd; i += 2) {
            const int a = neox ? i / 2 : i, b = a + stride;
            const float c = cache[i], s = cache[i + 1], x0 = v[a], x1 = v[b];
            // GCC (which builds llama.cpp) contracts these into FMAs this way; so do we.
            v[a] = fmaf(x0, c, -(x1 * s));
            v[b] = fmaf(x0, s, x1 * c);
        }
    }
}

void ck_add(float *x, const float *y, int n) { for (int i = 0; i < n; i++) x[i] += y[i]; }

// ---------------------------------------------------------------- llama.cpp's vector exp

// GGML's AVX-512 expf (ggml_v_expf), lane by lane: softmax and SiLU use it, so matching it
// keeps probabilities and activations bit-identical to the reference.
static inline float v_expf(float x) {
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                         u, fmaf(0x1.ffffecp-1f, b, 1.0f));
    return ldexpf(j, (int)n);
}

// _mm512_reduce_add_ps: halves added pairwise down to one lane.
static inline float reduce16(const float a[16]) {
    float t8[8], t4[4];
    for (int i = 0; i < 8; i++) t8[i] = a[i + 8] + a[i];
    for (int i = 0; i < 4; i++) t4[i] = t8[i + 4] + t8[i];
    const float t0 = t4[0] + t4[2], t1 = t4[1] + t4[3];
    return t0 + t1;
}

// ---------------------------------------------------------------- attention

// K and V are F16 in llama.cpp's cache; this engine keeps them as F32 values already rounded to
// F16, which is numerically the same and spares a conversion per use.
// Summation orders follow GGML: a single token (ggml_vec_dot_f16: 4 x 16-lane accumulators over
// 64-element steps) or several tokens at once (tinyBLAS: one 16-lane accumulator).
// e[l] = exp(s[l] - mx) for l < valid, 0 for the 16 - valid cells past the end.
typedef void (*exp16_fn)(const float *s, float mx, int valid, float e[16]);

static inline void exp16_portable(const float *s, float mx, int valid, float e[16]) {
    for (int l = 0; l < 16; l++) e[l] = l < valid ? v_expf(s[l] - mx) : 0.0f;
}

static inline __attribute__((always_inline)) void attention_body(
        const float *q, const float *k, const float *v, size_t kst, int npos, int hd,
        float scale, float softcap, int multi, float *s, float *out, exp16_fn exp16) {
    const float inv_cap = softcap > 0 ? 1.0f / softcap : 0.0f;
    float qr[256];
    ck_round_to_fp16(q, qr, hd);
    const int npad = (npos + 63) / 64 * 64;   // masked cells: probability 0, value 0
    float mx = -INFINITY;
    for (int i = 0; i < npos; i++) {
        const float *kr = k + (size_t)i * kst;
        float dot;
        if (multi || hd % 64 != 0) {
            float acc[16] = {0};
            int d = 0;
            for (; d + 16 <= hd; d += 16)
                for (int l = 0; l < 16; l++) acc[l] = fmaf(kr[d + l], qr[d + l], acc[l]);
            double sum = (double)reduce16(acc);
            for (; d < hd; d++) sum += (double)(kr[d] * qr[d]);
            dot = (float)sum;
        } else {
            float acc[4][16] = {{0}};
            for (int d = 0; d < hd; d += 64)
                for (int j = 0; j < 4; j++)
                    for (int l = 0; l < 16; l++) acc[j][l] = fmaf(kr[d + 16 * j + l], qr[d + 16 * j + l], acc[j][l]);
            float x[16];
            for (int l = 0; l < 16; l++) x[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
            dot = (float)(double)reduce16(x);
        }
        dot = dot * scale;
        if (softcap > 0) dot = tanhf(dot * inv_cap) * softcap;
        s[i] = dot; mx = dot > mx ? dot : mx;
    }
    double sum = 0.0;
    for (int c = 0; c < npad; c += 16) {
        float e[16];
        exp16(s + c, mx, npos - c, e);
        for (int l = 0; l < 16 && c + l < npos; l++) s[c + l] = e[l];
        sum += (double)reduce16(e);
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < npos; i++) s[i] = s[i] * inv;
    ck_round_to_fp16(s, s, npos);
    if (multi) {
        // Accumulator rows past npos stay zero: they are neither cleared nor read (adding a
        // +0.0 changes no sum, and no accumulator here can hold -0.0).
        float acc[16][256];
        const int used = npos < 16 ? npos : 16;
        for (int l = 0; l < used; l++) for (int d = 0; d < hd; d++) acc[l][d] = 0.0f;
        for (int i = 0; i < npos; i++) {
            const float *vr = v + (size_t)i * kst; const float p = s[i]; float *a = acc[i % 16];
            for (int d = 0; d < hd; d++) a[d] = fmaf(vr[d], p, a[d]);
        }
        for (int d = 0; d < hd; d++) {
            float x[16];
            for (int l = 0; l < 16; l++) x[l] = l < used ? acc[l][d] : 0.0f;
            out[d] = reduce16(x);
        }
    } else {
        float acc[64][256];
        const int used = npos < 64 ? npos : 64;
        for (int l = 0; l < used; l++) for (int d = 0; d < hd; d++) acc[l][d] = 0.0f;
        for (int i = 0; i < npos; i++) {
            const float *vr = v + (size_t)i * kst; const float p = s[i]; float *a = acc[i % 64];
            for (int d = 0; d < hd; d++) a[d] = fmaf(vr[d], p, a[d]);
        }
        for (int d = 0; d < hd; d++) {
            float x[16];
#define ACC(l) ((l) < used ? acc[l][d] : 0.0f)
            for (int l = 0; l < 16; l++) x[l] = (ACC(l) + ACC(32 + l)) + (ACC(16 + l) + ACC(48 + l));
#undef ACC
            out[d] = (float)(double)reduce16(x);
        }
    }
}

#if CK_X86
// v_expf on 8 lanes, the same operations lane by lane. ldexpf(j, n) is j times 2^n rounded
// once; here that is one multiply by 2^n (exact or, for a subnormal result, rounded once), or for
// n outside the normal exponents two: 2^(n -+ 100) (exact) and then 2^(+-100) (rounded once).
TGT static inline __m256 v_expf8(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    const __m256i ni = _mm256_cvttps_epi32(n);
    const __m256i hi = _mm256_cmpgt_epi32(ni, _mm256_set1_epi32(127));
    const __m256i lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(-126), ni);
    const __m256i adj = _mm256_or_si256(_mm256_and_si256(hi, _mm256_set1_epi32(-100)), _mm256_and_si256(lo, _mm256_set1_epi32(100)));
    const __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_add_epi32(ni, adj), _mm256_set1_epi32(127)), 23));
    const __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(127), adj), 23));
    const __m256 e = _mm256_mul_ps(_mm256_mul_ps(j, p1), p2);
    // |n| > 192: 0 below, infinity above (NaN compares false and stays NaN through e)
    const __m256 big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n), _mm256_set1_ps(192.0f), _CMP_GT_OQ);
    const __m256 neg = _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ);
    const __m256 sat = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_setzero_ps(), neg);
    return _mm256_blendv_ps(e, sat, big);
}

TGT static inline void exp16_avx2(const float *s, float mx, int valid, float e[16]) {
    const __m256 m = _mm256_set1_ps(mx);
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int h = 0; h < 2; h++) {
        // cells past the end are neither read nor computed: 0, as in the scalar loop
        const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid - 8 * h), idx);
        const __m256 x = _mm256_maskload_ps(s + 8 * h, keep);
        _mm256_storeu_ps(e + 8 * h, _mm256_and_ps(v_expf8(_mm256_sub_ps(x, m)), _mm256_castsi256_ps(keep)));
    }
}

TGT static void attention_avx2(const float *q, const float *k, const float *v, size_t kst, int npos,
                               int hd, float scale, float softcap, int multi, float *s, float *out) {
    attention_body(q, k, v, kst, npos, hd, scale, softcap, multi, s, out, exp16_avx2);
}
TGT static void swiglu_avx2(float *g, const float *u, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(g + i);
        const __m256 e = v_expf8(_mm256_sub_ps(_mm256_setzero_ps(), x));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) { const float x = g[i]; g[i] = (x / (1.0f + v_expf(0.0f - x))) * u[i]; }
}
#endif

void ck_swiglu(float *g, const float *u, int n) {
#if CK_X86
    if (ck_has_avx2()) { swiglu_avx2(g, u, n); return; }
#endif
    for (int i = 0; i < n; i++) { const float x = g[i]; g[i] = (x / (1.0f + v_expf(0.0f - x))) * u[i]; }
}

void ck_attention_head_f32(const float *q, const float *k, const float *v, size_t kst,
                           int npos, int hd, float scale, float softcap, int multi, float *scratch, float *out) {
    if (hd > 256) return;
#if CK_X86
    if (ck_has_avx2()) { attention_avx2(q, k, v, kst, npos, hd, scale, softcap, multi, scratch, out); return; }
#endif
    attention_body(q, k, v, kst, npos, hd, scale, softcap, multi, scratch, out, exp16_portable);
}

// GGML's GELU table: for each F16 input, the F16 of the tanh-form GELU computed in F32.
static uint16_t gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;
static void gelu_table_fill(void) {
    for (int i = 0; i < (1 << 16); i++) {
        const float x = ck_fp16_to_fp32((uint16_t)i);
        gelu_table[i] = ck_fp32_to_fp16(0.5f * x * (1.0f + tanhf(0.79788456080286535587989211986876f * x * (1.0f + 0.044715f * x * x))));
    }
}

void ck_geglu(float *g, const float *u, int n) {
    pthread_once(&gelu_once, gelu_table_fill);
    for (int i = 0; i < n; i++) {
        const float x = g[i];
        if (x <= -10.0f) g[i] = 0.0f;
        else if (x >= 10.0f) g[i] = x * u[i];
        else g[i] = ck_fp16_to_fp32(gelu_table[ck_fp32_to_fp16(x)]) * u[i];
    }
}

void ck_softcap(float *x, int n, float cap) {
    const float inv = 1.0f / cap;
    for (int i = 0; i < n; i++) x[i] = tanhf(x[i] * inv) * cap;
}
