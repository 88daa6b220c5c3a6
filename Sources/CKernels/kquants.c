// The other GGML weight types users download: Q5_0, Q5_1, the K-quants Q4_K, Q5_K, Q6_K (256-weight
// super-blocks with 6- or 8-bit sub-block scales) and BF16.
//
// Activations are converted as llama.cpp converts them before a product with these weights
// (Q8_0 for Q5_0, Q8_1 for Q5_1, Q8_K for the K-quants, BF16 for BF16), so the integer products
// are the same numbers; each block's integer sum is exact and only the float accumulation of the
// blocks can differ from llama.cpp's SIMD order, by rounding (well inside 1e-3 on logits).
#pragma STDC FP_CONTRACT OFF
#include "ckernels.h"
#include "ckernels_internal.h"
#include <math.h>
#include <string.h>

// ---------------------------------------------------------------- BF16

float ck_bf16_to_fp32(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }

uint16_t ck_fp32_to_bf16(float f) {
    uint32_t u; memcpy(&u, &f, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 64);   // quiet NaN
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);             // round to nearest even
}

// ---------------------------------------------------------------- Q8_K activations

// A Q8_K block is d (float), 256 int8 quants, then 16 sums of 16 quants each; both paths end
// a block the same way.
static void q8_K_zero_block(uint8_t *y) {
    memset(y, 0, CK_Q8_K_BYTES);
}

static void q8_K_finish_block(uint8_t *y, float iscale) {
    const int8_t *qs = (const int8_t *)(y + 4);
    int16_t bsums[16];
    for (int j = 0; j < 16; j++) {
        int s = 0;
        for (int i = 0; i < 16; i++) s += qs[16 * j + i];
        bsums[j] = (int16_t)s;
    }
    const float d = 1.0f / iscale;
    memcpy(y, &d, 4);
    memcpy(y + 260, bsums, sizeof bsums);
}

// llama.cpp's reference: the value of largest magnitude maps to -127 (scale -max/127, so its sign
// is in the scale), round to nearest, and sums of each 16 quants for the K-quants' minimums.
#if CK_X86
// The same on 8 lanes: the largest magnitude by a vector max (NaNs skipped, as the scalar
// comparison skips them), then the first element of that magnitude, as the scalar loop finds it.
TGT static void quantize_row_q8_K_avx2(const float *x, uint8_t *y, int n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int b = 0; b < n / 256; b++, x += 256, y += CK_Q8_K_BYTES) {
        __m256 mx = _mm256_setzero_ps();
        for (int j = 0; j < 256; j += 8) mx = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)), mx);
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        int8_t *qs = (int8_t *)(y + 4);
        if (amax == 0.0f) { q8_K_zero_block(y); continue; }
        float max = 0.0f;
        for (int j = 0; j < 256; j++) if (fabsf(x[j]) == amax) { max = x[j]; break; }
        const float iscale = -127.f / max;
        const __m256 is = _mm256_set1_ps(iscale);
        for (int j = 0; j < 256; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++)
                q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(is, _mm256_loadu_ps(x + j + 8 * k)),
                                                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)),
                                        _mm256_set1_epi32(127));
            __m256i p8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(qs + j), p8);
        }
        q8_K_finish_block(y, iscale);
    }
}
#endif

void ck_quantize_row_q8_K(const float *x, uint8_t *y, int n) {
#if CK_X86
    if (ck_has_avx2()) { quantize_row_q8_K_avx2(x, y, n); return; }
#endif
    for (int b = 0; b < n / 256; b++, x += 256, y += CK_Q8_K_BYTES) {
        float max = 0.0f, amax = 0.0f;
        for (int j = 0; j < 256; j++) { const float ax = fabsf(x[j]); if (ax > amax) { amax = ax; max = x[j]; } }
        int8_t *qs = (int8_t *)(y + 4);
        if (amax == 0.0f) { q8_K_zero_block(y); continue; }
        const float iscale = -127.f / max;
        for (int j = 0; j < 256; j++) {
            const int v = (int)nearbyintf(iscale * x[j]);
            qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        q8_K_finish_block(y, iscale);
    }
}

// ---------------------------------------------------------------- K-quant scales


// Unpacks one Q4_K (or, with qh, Q5_K) super-block's 256 quants in element order.
static inline void unpack_q45_K(const uint8_t *qs, const uint8_t *qh, uint8_t q[256]) {
    for (int j = 0; j < 4; j++) {
        for (int l = 0; l < 32; l++) {
            q[64 * j + l] = qs[32 * j + l] & 0xF;
            q[64 * j + 32 + l] = qs[32 * j + l] >> 4;
            if (qh) {
                q[64 * j + l] |= ((qh[l] >> (2 * j)) & 1) << 4;
                q[64 * j + 32 + l] |= ((qh[l] >> (2 * j + 1)) & 1) << 4;
            }
        }
    }
}

// One Q6_K super-block's 256 signed quants in element order.
static inline void unpack_q6_K(const uint8_t *ql, const uint8_t *qh, int8_t q[256]) {
    for (int h = 0; h < 2; h++, ql += 64, qh += 32, q += 128) {
        for (int l = 0; l < 32; l++) {
            q[l] = (int8_t)(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            q[l + 32] = (int8_t)(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            q[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            q[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

// Q2_K: 16 sub-blocks of 16 two-bit quants, each with a 4-bit scale and a 4-bit minimum.
static inline void unpack_q2_K(const uint8_t *blk, int8_t q[256], int sc[16], int mins[16]) {
    const uint8_t *scales = blk, *qs = blk + 16;
    for (int s = 0; s < 16; s++) { sc[s] = scales[s] & 0xF; mins[s] = scales[s] >> 4; }
    for (int e = 0; e < 256; e++) {
        const int n = e / 128, j = (e % 128) / 32, l = e % 32;
        q[e] = (int8_t)((qs[32 * n + l] >> (2 * j)) & 3);
    }
}

// Q3_K: two low bits in qs, the third in hmask (a clear bit subtracts 4), 6-bit scales less 32.
static inline void unpack_q3_K(const uint8_t *blk, int8_t q[256], int sc[16]) {
    const uint8_t *hm = blk, *qs = blk + 32;
    int8_t s8[16];
    scales_q3_K(blk + 96, s8);
    for (int s = 0; s < 16; s++) sc[s] = s8[s];
    for (int e = 0; e < 256; e++) {
        const int n = e / 128, j = (e % 128) / 32, l = e % 32;
        const int low = (qs[32 * n + l] >> (2 * j)) & 3;
        q[e] = (int8_t)(low - ((hm[l] >> (4 * n + j)) & 1 ? 0 : 4));
    }
}

// ---------------------------------------------------------------- dequantisation

int ck_dequantize_row_more(int t, const uint8_t *p, int n, float *out) {
    switch (t) {
    case CK_TYPE_BF16:
        for (int i = 0; i < n; i++) out[i] = ck_bf16_to_fp32(rd16(p + 2 * i));
        return 1;
    case CK_TYPE_Q5_0:
    case CK_TYPE_Q5_1: {
        const int q51 = t == CK_TYPE_Q5_1, bs = q51 ? 24 : 22;
        for (int b = 0; b < n / 32; b++) {
            const uint8_t *blk = p + b * bs;
            const float d = h2f(blk), m = q51 ? h2f(blk + 2) : 0.0f;
            uint32_t qh; memcpy(&qh, blk + (q51 ? 4 : 2), 4);
            const uint8_t *qs = blk + (q51 ? 8 : 6);
            for (int j = 0; j < 16; j++) {
                const int lo = (qs[j] & 0xF) | (((qh >> j) & 1) << 4);
                const int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
                out[b * 32 + j] = q51 ? (float)lo * d + m : (float)(lo - 16) * d;
                out[b * 32 + j + 16] = q51 ? (float)hi * d + m : (float)(hi - 16) * d;
            }
        }
        return 1;
    }
    case CK_TYPE_Q4_K:
    case CK_TYPE_Q5_K: {
        const int q5 = t == CK_TYPE_Q5_K, bs = q5 ? 176 : 144;
        for (int b = 0; b < n / 256; b++) {
            const uint8_t *blk = p + b * bs;
            const float d = h2f(blk), dmin = h2f(blk + 2);
            uint8_t q[256];
            unpack_q45_K(blk + (q5 ? 48 : 16), q5 ? blk + 16 : 0, q);
            for (int s = 0; s < 8; s++) {
                uint8_t sc, m; scale_min_k4(s, blk + 4, &sc, &m);
                const float ds = d * sc, dm = dmin * m;
                for (int l = 0; l < 32; l++) out[b * 256 + 32 * s + l] = ds * q[32 * s + l] - dm;
            }
        }
        return 1;
    }
    case CK_TYPE_Q2_K:
    case CK_TYPE_Q3_K:
        for (int b = 0; b < n / 256; b++) {
            int8_t q[256]; int sc[16]; float d, dmin = 0.0f; int mins[16] = {0};
            if (t == CK_TYPE_Q2_K) {
                const uint8_t *blk = p + b * 84;
                unpack_q2_K(blk, q, sc, mins);
                d = h2f(blk + 80); dmin = h2f(blk + 82);
            } else {
                const uint8_t *blk = p + b * 110;
                unpack_q3_K(blk, q, sc);
                d = h2f(blk + 108);
            }
            for (int i = 0; i < 256; i++) {
                const float dl = d * (float)sc[i / 16], ml = dmin * (float)mins[i / 16];
                out[b * 256 + i] = dl * (float)q[i] - ml;
            }
        }
        return 1;
    case CK_TYPE_Q6_K:
        for (int b = 0; b < n / 256; b++) {
            const uint8_t *blk = p + b * 210;
            const float d = h2f(blk + 208);
            const int8_t *sc = (const int8_t *)(blk + 192);
            int8_t q[256];
            unpack_q6_K(blk, blk + 128, q);
            for (int i = 0; i < 256; i++) out[b * 256 + i] = d * (float)sc[i / 16] * (float)q[i];
        }
        return 1;
    default:
        return 0;
    }
}

// ---------------------------------------------------------------- dot products
//
// Each follows the lanes of llama.cpp's AVX2 kernel for the type (kquants_avx2.c): integer
// products summed exactly into 8 lanes of 4 neighbouring quants, one float FMA per lane and
// block, and the same final reduction, so the portable and the AVX2 paths give the same bits.

static float dot_q5_q8(int n, const uint8_t *x, const uint8_t *y, int q51) {
    const int xs = q51 ? 24 : 22, ys = q51 ? 36 : 34;
    float acc[8] = {0}, summs = 0.0f;
    for (int b = 0; b < n / 32; b++) {
        const uint8_t *xb = x + b * xs, *yb = y + b * ys;
        uint32_t qh; memcpy(&qh, xb + (q51 ? 4 : 2), 4);
        const uint8_t *qs = xb + (q51 ? 8 : 6);
        const int8_t *q8 = (const int8_t *)(yb + (q51 ? 4 : 2));
        int q[32];
        for (int j = 0; j < 16; j++) {
            q[j] = (qs[j] & 0xF) | (((qh >> j) & 1) << 4);
            q[j + 16] = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            if (!q51) { q[j] -= 16; q[j + 16] -= 16; }
        }
        const float dd = h2f(xb) * h2f(yb);
        if (q51) summs = fmaf(h2f(xb + 2), h2f(yb + 2), summs);
        for (int l = 0; l < 8; l++) {
            const int s = q[4*l] * q8[4*l] + q[4*l+1] * q8[4*l+1] + q[4*l+2] * q8[4*l+2] + q[4*l+3] * q8[4*l+3];
            acc[l] = fmaf(dd, (float)s, acc[l]);
        }
    }
    return hsum8(acc) + summs;
}

float ck_dot_q5_0_q8_0(int n, const void *x, const void *y) { return dot_q5_q8(n, x, y, 0); }
float ck_dot_q5_1_q8_1(int n, const void *x, const void *y) { return dot_q5_q8(n, x, y, 1); }

// Q4_K and Q5_K against Q8_K: per 32-quant sub-block an exact integer sum times its 6-bit scale;
// the minimums through the activation's 16-quant sums, in 4 float lanes.
static float dot_q45_K_q8_K(int n, const uint8_t *x, const uint8_t *y, int q5) {
    const int bs = q5 ? 176 : 144;
    float acc[8] = {0}, accm[4] = {0}, summs = 0.0f;
    for (int b = 0; b < n / 256; b++) {
        const uint8_t *xb = x + b * bs, *yb = y + b * CK_Q8_K_BYTES;
        float dy; memcpy(&dy, yb, 4);
        const float d = dy * h2f(xb), dmin = -dy * h2f(xb + 2);
        const int8_t *q8 = (const int8_t *)(yb + 4);
        int16_t bsums[16]; memcpy(bsums, yb + 260, sizeof bsums);
        uint8_t q[256], sc[8], m[8];
        unpack_q45_K(xb + (q5 ? 48 : 16), q5 ? xb + 16 : 0, q);
        for (int s = 0; s < 8; s++) scale_min_k4(s, xb + 4, &sc[s], &m[s]);
        int lane[8] = {0};
        for (int e = 0; e < 256; e++) lane[(e % 32) / 4] += sc[e / 32] * (q[e] * q8[e]);
        for (int l = 0; l < 8; l++) acc[l] = fmaf(d, (float)lane[l], acc[l]);
        int prod[4];
        for (int k = 0; k < 4; k++)
            prod[k] = m[2*k] * (bsums[4*k] + bsums[4*k+1]) + m[2*k+1] * (bsums[4*k+2] + bsums[4*k+3]);
        if (q5) {
            summs = fmaf(dmin, (float)(prod[0] + prod[1] + prod[2] + prod[3]), summs);
        } else {
            for (int k = 0; k < 4; k++) accm[k] = fmaf(dmin, (float)prod[k], accm[k]);
        }
    }
    return hsum8(acc) + (q5 ? summs : (accm[0] + accm[2]) + (accm[1] + accm[3]));
}

float ck_dot_q4_K_q8_K(int n, const void *x, const void *y) { return dot_q45_K_q8_K(n, x, y, 0); }
float ck_dot_q5_K_q8_K(int n, const void *x, const void *y) { return dot_q45_K_q8_K(n, x, y, 1); }

// Q2_K and Q3_K against Q8_K, in the same 8 lanes; Q2_K's minimums through the 16-quant sums.
static float dot_q23_K_q8_K(int n, const uint8_t *x, const uint8_t *y, int q3) {
    float acc[8] = {0}, summs = 0.0f;
    for (int b = 0; b < n / 256; b++) {
        const uint8_t *xb = x + b * (q3 ? 110 : 84), *yb = y + b * CK_Q8_K_BYTES;
        float dy; memcpy(&dy, yb, 4);
        const int8_t *q8 = (const int8_t *)(yb + 4);
        int16_t bsums[16]; memcpy(bsums, yb + 260, sizeof bsums);
        int8_t q[256]; int sc[16], mins[16] = {0};
        float d;
        if (q3) { unpack_q3_K(xb, q, sc); d = dy * h2f(xb + 108); }
        else { unpack_q2_K(xb, q, sc, mins); d = dy * h2f(xb + 80); }
        int lane[8] = {0};
        for (int e = 0; e < 256; e++) lane[(e % 32) / 4] += sc[e / 16] * (q[e] * q8[e]);
        for (int l = 0; l < 8; l++) acc[l] = fmaf(d, (float)lane[l], acc[l]);
        if (!q3) {
            int summ = 0;
            for (int s = 0; s < 16; s++) summ += mins[s] * bsums[s];
            summs = fmaf(-dy * h2f(xb + 82), (float)summ, summs);
        }
    }
    return hsum8(acc) + summs;
}

float ck_dot_q2_K_q8_K(int n, const void *x, const void *y) { return dot_q23_K_q8_K(n, x, y, 0); }
float ck_dot_q3_K_q8_K(int n, const void *x, const void *y) { return dot_q23_K_q8_K(n, x, y, 1); }

float ck_dot_q6_K_q8_K(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float acc[8] = {0};
    for (int b = 0; b < n / 256; b++) {
        const uint8_t *xb = x + b * 210, *yb = y + b * CK_Q8_K_BYTES;
        float dy; memcpy(&dy, yb, 4);
        const float d = dy * h2f(xb + 208);
        const int8_t *q8 = (const int8_t *)(yb + 4), *sc = (const int8_t *)(xb + 192);
        int8_t q[256];
        unpack_q6_K(xb, xb + 128, q);
        int lane[8] = {0};
        for (int e = 0; e < 256; e++) lane[(e % 32) / 4] += sc[e / 16] * (q[e] * q8[e]);
        for (int l = 0; l < 8; l++) acc[l] = fmaf(d, (float)lane[l], acc[l]);
    }
    return hsum8(acc);
}

// BF16 against BF16 activations: 8 FMA lanes, the F32 kernel's tree and tail.
float ck_dot_bf16(int n, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] = fmaf(ck_bf16_to_fp32(x[i + l]), ck_bf16_to_fp32(y[i + l]), acc[l]);
    float s = hsum8(acc);
    for (; i < n; i++) s = fmaf(ck_bf16_to_fp32(x[i]), ck_bf16_to_fp32(y[i]), s);
    return s;
}
