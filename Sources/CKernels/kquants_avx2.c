// AVX2 dot products for Q5_0, Q5_1 and the K-quants, in the lanes of llama.cpp's kernels: the
// portable twins in kquants.c give the same bits (checked by the tests on whole models).
#pragma STDC FP_CONTRACT OFF
#include "ckernels_internal.h"
#include <math.h>
#if CK_X86

// 32 bits to 32 bytes: byte j is 0xFF when bit j is set.
TGT static inline __m256i bytes_from_bits_32(const uint8_t *p) {
    uint32_t bits; memcpy(&bits, p, 4);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000));
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

// Each type's block work is split into unpacking the weights and accumulating one activation
// against them, so the four-activation kernels (prompts) reuse an unpacked block and still do
// exactly the single product's operations: the same bits either way.

typedef struct { __m256i qx; float d, m; } q5_weights;

TGT static inline void q5_unpack(const uint8_t *xb, int q51, q5_weights *w) {
    w->d = h2f_hw(xb);
    if (q51) {
        w->m = h2f_hw(xb + 2);
        w->qx = _mm256_or_si256(bytes_from_nibbles_32(xb + 8), _mm256_and_si256(bytes_from_bits_32(xb + 4), _mm256_set1_epi8(0x10)));
    } else {
        // Where the fifth bit is clear, setting the top nibble makes the byte q - 16.
        const __m256i hi = _mm256_andnot_si256(bytes_from_bits_32(xb + 2), _mm256_set1_epi8((char)0xF0));
        w->qx = _mm256_or_si256(bytes_from_nibbles_32(xb + 6), hi);
    }
}

TGT static inline void q5_accumulate(const q5_weights *w, const uint8_t *yb, int q51, __m256 *acc, float *summs) {
    const __m256 dd = _mm256_set1_ps(w->d * h2f_hw(yb));
    const __m256i qy = _mm256_loadu_si256((const __m256i *)(yb + (q51 ? 4 : 2)));
    if (q51) {
        *summs = fmaf(w->m, h2f_hw(yb + 2), *summs);
        *acc = _mm256_fmadd_ps(dd, mul_sum_us8_pairs_float(w->qx, qy), *acc);
    } else {
        *acc = _mm256_fmadd_ps(dd, mul_sum_i8_pairs_float(w->qx, qy), *acc);
    }
}

TGT static void dot4_q5(int n, const uint8_t *x, const uint8_t *const y[4], int ntok, int q51, float *out) {
    const int xs = q51 ? 24 : 22, ys = q51 ? 36 : 34;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float summs[4] = {0, 0, 0, 0};
    for (int b = 0; b < n / 32; b++) {
        q5_weights w;
        q5_unpack(x + b * xs, q51, &w);
        for (int t = 0; t < ntok; t++) q5_accumulate(&w, y[t] + b * ys, q51, &acc[t], &summs[t]);
    }
    for (int t = 0; t < ntok; t++) out[t] = hsum_float_8(acc[t]) + summs[t];
}

float ck_dot_q5_0_q8_0_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_q5(n, x, ys, 1, 0, &o); return o;
}
float ck_dot_q5_1_q8_1_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_q5(n, x, ys, 1, 1, &o); return o;
}
void ck_dot4_q5_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_q5(n, x, y, 4, 0, o); }
void ck_dot4_q5_1_q8_1_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_q5(n, x, y, 4, 1, o); }

typedef struct { __m256i q[8]; uint8_t sc[8], m[8]; float d, dmin; } k45_weights;

TGT static inline void k45_unpack(const uint8_t *xb, int q5, k45_weights *w) {
    const __m256i m4 = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
    w->d = h2f_hw(xb); w->dmin = h2f_hw(xb + 2);
    for (int s = 0; s < 8; s++) scale_min_k4(s, xb + 4, &w->sc[s], &w->m[s]);
    const uint8_t *qs = xb + (q5 ? 48 : 16);
    const __m256i hbits = q5 ? _mm256_loadu_si256((const __m256i *)(xb + 16)) : _mm256_setzero_si256();
    for (int j = 0; j < 4; j++) {
        const __m256i bits = _mm256_loadu_si256((const __m256i *)(qs + 32 * j));
        __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
        if (q5) {
            lo = _mm256_add_epi8(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4));
            hi = _mm256_add_epi8(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4));
        }
        w->q[2 * j] = lo; w->q[2 * j + 1] = hi;
    }
}

// The minimums' integer products, 4 lanes: m[2k] and m[2k+1] against their sub-blocks' sums.
TGT static inline __m128i mins_products(const uint8_t m[8], const uint8_t *bsums) {
    const __m256i bs = _mm256_loadu_si256((const __m256i *)bsums);
    const __m128i q8s = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    return _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)m)), q8s);
}

TGT static inline void k45_accumulate(const k45_weights *w, const uint8_t *yb, int q5, __m256 *acc, __m128 *accm, float *summs) {
    float dy; memcpy(&dy, yb, 4);
    const float d = dy * w->d, dmin = -dy * w->dmin;
    const __m128i prod = mins_products(w->m, yb + 260);
    if (q5) {
        const __m128i h = _mm_hadd_epi32(_mm_hadd_epi32(prod, _mm_setzero_si128()), _mm_setzero_si128());
        *summs = fmaf(dmin, (float)_mm_cvtsi128_si32(h), *summs);
    } else {
        *accm = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), *accm);
    }
    const int8_t *q8 = (const int8_t *)(yb + 4);
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; j++) {
        const __m256i plo = _mm256_madd_epi16(_mm256_set1_epi16(w->sc[2 * j]),
                                              _mm256_maddubs_epi16(w->q[2 * j], _mm256_loadu_si256((const __m256i *)(q8 + 64 * j))));
        const __m256i phi = _mm256_madd_epi16(_mm256_set1_epi16(w->sc[2 * j + 1]),
                                              _mm256_maddubs_epi16(w->q[2 * j + 1], _mm256_loadu_si256((const __m256i *)(q8 + 64 * j + 32))));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(plo, phi));
    }
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), *acc);
}

TGT static void dot4_k45(int n, const uint8_t *x, const uint8_t *const y[4], int ntok, int q5, float *out) {
    const int bs = q5 ? 176 : 144;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m128 accm[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
    float summs[4] = {0, 0, 0, 0};
    for (int b = 0; b < n / 256; b++) {
        k45_weights w;
        k45_unpack(x + b * bs, q5, &w);
        for (int t = 0; t < ntok; t++) k45_accumulate(&w, y[t] + b * CK_Q8_K_BYTES, q5, &acc[t], &accm[t], &summs[t]);
    }
    for (int t = 0; t < ntok; t++) {
        if (q5) { out[t] = hsum_float_8(acc[t]) + summs[t]; continue; }
        __m128 m = _mm_add_ps(accm[t], _mm_movehl_ps(accm[t], accm[t]));
        m = _mm_add_ss(m, _mm_movehdup_ps(m));
        out[t] = hsum_float_8(acc[t]) + _mm_cvtss_f32(m);
    }
}

float ck_dot_q4_K_q8_K_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_k45(n, x, ys, 1, 0, &o); return o;
}
float ck_dot_q5_K_q8_K_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_k45(n, x, ys, 1, 1, &o); return o;
}
void ck_dot4_q4_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_k45(n, x, y, 4, 0, o); }
void ck_dot4_q5_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_k45(n, x, y, 4, 1, o); }

typedef struct { __m256i q[8]; __m256i scale[8]; float d; } q6_weights;

TGT static inline void q6_unpack(const uint8_t *xb, q6_weights *w) {
    const __m256i m4 = _mm256_set1_epi8(0xF), m2 = _mm256_set1_epi8(3);
    w->d = h2f_hw(xb + 208);
    chunk_scales(_mm_loadu_si128((const __m128i *)(xb + 192)), w->scale);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = xb + 64 * h, *qh = xb + 128 + 32 * h;
        const __m256i hb = _mm256_loadu_si256((const __m256i *)qh);
        const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
        __m256i *q = w->q + 4 * h;
        q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m2), 4));
        q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m2), 4));
        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m2), 4));
        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m2), 4));
    }
}

TGT static inline void q6_accumulate(const q6_weights *w, const uint8_t *yb, __m256 *acc) {
    const __m256i m32 = _mm256_set1_epi8(32);
    float dy; memcpy(&dy, yb, 4);
    const int8_t *q8 = (const int8_t *)(yb + 4);
    __m256i sumi = _mm256_setzero_si256();
    for (int c = 0; c < 8; c++) {
        const __m256i y8 = _mm256_loadu_si256((const __m256i *)(q8 + 32 * c));
        // (q - 32) * y as q * y - 32 * y: maddubs needs its first operand unsigned.
        const __m256i p16 = _mm256_sub_epi16(_mm256_maddubs_epi16(w->q[c], y8), _mm256_maddubs_epi16(m32, y8));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(w->scale[c], p16));
    }
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(dy * w->d), _mm256_cvtepi32_ps(sumi), *acc);
}

TGT static void dot4_q6(int n, const uint8_t *x, const uint8_t *const y[4], int ntok, float *out) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int b = 0; b < n / 256; b++) {
        q6_weights w;
        q6_unpack(x + b * 210, &w);
        for (int t = 0; t < ntok; t++) q6_accumulate(&w, y[t] + b * CK_Q8_K_BYTES, &acc[t]);
    }
    for (int t = 0; t < ntok; t++) out[t] = hsum_float_8(acc[t]);
}

float ck_dot_q6_K_q8_K_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_q6(n, x, ys, 1, &o); return o;
}
void ck_dot4_q6_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_q6(n, x, y, 4, o); }

// Q2_K and Q3_K: 2-bit quants (Q3_K adds a third bit from hmask) in the same 32-quant chunks as
// Q6_K, so each chunk's 8 integer lanes are the portable kernel's lanes and sums.
typedef struct { __m256i q[8], scale[8], mins; float d, dmin; } k23_weights;

TGT static inline void k23_unpack(const uint8_t *xb, int q3, k23_weights *w) {
    const __m256i m3 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    const uint8_t *qs = xb + (q3 ? 32 : 16);
    // Q3_K's quant is low - 4 where its hmask bit is clear; stored as low + 4 * bit (0..7),
    // unsigned for maddubs, and the 4 taken off in the product.
    const __m256i hm = q3 ? _mm256_loadu_si256((const __m256i *)xb) : _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        const __m256i bits = _mm256_loadu_si256((const __m256i *)(qs + 32 * h));
        for (int j = 0; j < 4; j++) {
            const int c = 4 * h + j;
            __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * j), m3);
            if (q3) q = _mm256_or_si256(q, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, c), one), 2));
            w->q[c] = q;
        }
    }
    if (q3) {
        int8_t sc[16];
        scales_q3_K(xb + 96, sc);
        chunk_scales(_mm_loadu_si128((const __m128i *)sc), w->scale);
        w->d = h2f_hw(xb + 108); w->dmin = 0.0f;
        w->mins = _mm256_setzero_si256();
    } else {
        const __m128i packed = _mm_loadu_si128((const __m128i *)xb), m4 = _mm_set1_epi8(0xF);
        chunk_scales(_mm_and_si128(packed, m4), w->scale);
        w->d = h2f_hw(xb + 80); w->dmin = h2f_hw(xb + 82);
        w->mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), m4));
    }
}

TGT static inline void k23_accumulate(const k23_weights *w, const uint8_t *yb, int q3, __m256 *acc, float *summs) {
    const __m256i four = _mm256_set1_epi8(4);
    float dy; memcpy(&dy, yb, 4);
    const int8_t *q8 = (const int8_t *)(yb + 4);
    __m256i sumi = _mm256_setzero_si256();
    for (int c = 0; c < 8; c++) {
        const __m256i y8 = _mm256_loadu_si256((const __m256i *)(q8 + 32 * c));
        __m256i p16 = _mm256_maddubs_epi16(w->q[c], y8);
        if (q3) p16 = _mm256_sub_epi16(p16, _mm256_maddubs_epi16(four, y8));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(w->scale[c], p16));
    }
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(dy * w->d), _mm256_cvtepi32_ps(sumi), *acc);
    if (!q3) {
        // The minimums' product is one exact integer, so any order of its sum gives the same float.
        const __m256i pm = _mm256_madd_epi16(w->mins, _mm256_loadu_si256((const __m256i *)(yb + 260)));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(pm), _mm256_extracti128_si256(pm, 1));
        s4 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 1));
        *summs = fmaf(-dy * w->dmin, (float)_mm_cvtsi128_si32(s4), *summs);
    }
}

TGT static void dot4_k23(int n, const uint8_t *x, const uint8_t *const y[4], int ntok, int q3, float *out) {
    const int bs = q3 ? 110 : 84;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float summs[4] = {0, 0, 0, 0};
    for (int b = 0; b < n / 256; b++) {
        k23_weights w;
        k23_unpack(x + b * bs, q3, &w);
        for (int t = 0; t < ntok; t++) k23_accumulate(&w, y[t] + b * CK_Q8_K_BYTES, q3, &acc[t], &summs[t]);
    }
    for (int t = 0; t < ntok; t++) out[t] = hsum_float_8(acc[t]) + summs[t];
}

float ck_dot_q2_K_q8_K_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_k23(n, x, ys, 1, 0, &o); return o;
}
float ck_dot_q3_K_q8_K_avx2(int n, const void *x, const void *y) {
    const uint8_t *ys[4] = {y, 0, 0, 0}; float o; dot4_k23(n, x, ys, 1, 1, &o); return o;
}
void ck_dot4_q2_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_k23(n, x, y, 4, 0, o); }
void ck_dot4_q3_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *const y[4], size_t s, float o[4]) { (void)s; dot4_k23(n, x, y, 4, 1, o); }
TGT static inline __m256 bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

TGT float ck_dot_bf16_avx2(int n, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(bf16x8(x + i), bf16x8(y + i), acc);
    float s = hsum_float_8(acc);
    for (; i < n; i++) s = fmaf(ck_bf16_to_fp32(x[i]), ck_bf16_to_fp32(y[i]), s);
    return s;
}
#endif
