// Register-tiled products for CPUs with AVX-512 VNNI (used on 256-bit registers, AVX512VL):
// up to 4 weight rows x 4 activations per call, so an unpacked weight block serves 4 tokens and
// a loaded activation block (with its scale and sums) serves 4 rows; 32 vector registers hold
// the 16 accumulators. For the 32-weight types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) and for Q4_K
// and Q6_K; ck_matmul uses them for 4 or more tokens (prompts, batches of streams). Fewer tokens
// (decoding) take the two-row kernels further down, for the 32-weight types but Q8_0.
//
// Same bits as the portable and AVX2 kernels: every 32-bit lane there is the exact integer sum
// of 4 neighbouring products (quant x activation quant), converted to float and accumulated with
// one FMA per block. Here each lane is the same integer, computed another way: the weights made
// unsigned by a bias (q + 16 for Q5_0, q + 8 for Q4_0, q + 128 for Q8_0), multiplied with
// vpdpbusd (4 unsigned x signed byte products summed into an int32, no saturation), starting from
// -bias times the sum of the 4 activation quants. Integer sums are exact whatever their order,
// so the float work that follows (block scale product, FMA, 8-lane reduction tree, Q4_1's
// minimum term) is the single-product kernel's, lane for lane. (The AVX2 kernels' 16-bit pair
// sums cannot saturate either: activation quants from ck_quantize_row lie in [-127, 127].)
#pragma STDC FP_CONTRACT OFF
#include "ckernels_internal.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#if CK_X86

#define VTGT __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

// Weight kinds; each fixes the block layouts and the bias. K_UNPACKED marks a block already
// unpacked by unpack_rows (the kind's bits still give its bias and minimum).
enum { K_Q4_0, K_Q4_1, K_Q5_0, K_Q5_1, K_Q8_0, K_KIND = 7, K_UNPACKED = 8 };

// A weight block as unpack_u leaves it, with its scale (and minimum) as floats: a 16-row tile is
// unpacked once, before every group of 4 tokens passes over it, instead of once per group.
typedef struct { uint8_t q[32]; float d, m; } unpacked_block;

// The fifth bits: 16 added to the bytes whose bit is set.
VTGT static inline __m256i add_fifth_bits(__m256i q, const uint8_t *p) {
    uint32_t bits; memcpy(&bits, p, 4);
    return _mm256_mask_add_epi8(q, (__mmask32)bits, q, _mm256_set1_epi8(0x10));
}

// 16 bytes to 32 nibbles: the low ones first, then the high ones (one broadcast load, one
// variable shift of the upper half, one mask).
VTGT static inline __m256i nibbles(const uint8_t *p) {
    const __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p));
    const __m256i shifted = _mm256_srlv_epi16(b, _mm256_setr_epi16(0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4));
    return _mm256_and_si256(_mm256_set1_epi8(0xF), shifted);
}

// The block's quants plus the bias, as unsigned bytes.
VTGT static inline __m256i unpack_u(int kind, const uint8_t *xb) {
    if (kind & K_UNPACKED) return _mm256_loadu_si256((const __m256i *)xb);
    switch (kind) {
    case K_Q4_0: return nibbles(xb + 2);
    case K_Q4_1: return nibbles(xb + 4);
    case K_Q5_0: return add_fifth_bits(nibbles(xb + 6), xb + 2);
    case K_Q5_1: return add_fifth_bits(nibbles(xb + 8), xb + 4);
    default: return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(xb + 2)), _mm256_set1_epi8((char)0x80));
    }
}

static inline int x_bytes(int kind) {
    if (kind & K_UNPACKED) return (int)sizeof(unpacked_block);
    switch (kind) { case K_Q4_0: return 18; case K_Q4_1: return 20; case K_Q5_0: return 22; case K_Q5_1: return 24; default: return 34; }
}
static inline int bias_of(int kind) {
    switch (kind & K_KIND) { case K_Q4_0: return 8; case K_Q5_0: return 16; case K_Q8_0: return 128; default: return 0; }
}
// Q4_1 / Q5_1: a minimum per weight block, Q8_1 activations (scale, scaled sum, quants).
static inline int has_min(int kind) { return (kind & K_KIND) == K_Q4_1 || (kind & K_KIND) == K_Q5_1; }
// The block's scale and minimum (F16 in the file, floats once unpacked).
VTGT static inline float scale_of(int kind, const uint8_t *xb) {
    if (kind & K_UNPACKED) { float d; memcpy(&d, xb + 32, 4); return d; }
    return h2f_hw(xb);
}
VTGT static inline float min_of(int kind, const uint8_t *xb) {
    if (kind & K_UNPACKED) { float m; memcpy(&m, xb + 36, 4); return m; }
    return h2f_hw(xb + 2);
}

// Rows r0..r1 of w (rb bytes apart), nb blocks each, unpacked into u (row after row).
VTGT static inline __attribute__((always_inline)) void unpack_rows(int kind, int rows, int nb, const uint8_t *w, size_t rb,
                                                                   unpacked_block *u) {
    const int xbs = x_bytes(kind), m = has_min(kind);
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *xb = w + (size_t)r * rb + (size_t)b * xbs;
            unpacked_block *ub = u + (size_t)r * nb + b;
            _mm256_storeu_si256((__m256i *)ub->q, unpack_u(kind, xb));
            ub->d = h2f_hw(xb);
            ub->m = m ? h2f_hw(xb + 2) : 0.0f;
        }
}

// out[t * os + r] for r < R, t < T: rows `w` (rb bytes apart), activations `y` (ys bytes apart).
VTGT static inline __attribute__((always_inline)) void tile(
        int kind, int R, int T, int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys,
        float *out, size_t os) {
    const int xbs = x_bytes(kind), m = has_min(kind), ybs = m ? 36 : 34, qoff = m ? 4 : 2;
    const int bias = bias_of(kind);
    __m256 acc[4][4];
    __m128 summs[4];   // Q4_1 / Q5_1: lane t is token t's sum of minimum products
    for (int r = 0; r < R; r++) {
        summs[r] = _mm_setzero_ps();
        for (int t = 0; t < T; t++) acc[r][t] = _mm256_setzero_ps();
    }
    for (int b = 0; b < nb; b++) {
        __m256i qy[4], base[4];
        float dys[4] = {0, 0, 0, 0}, s1[4] = {0, 0, 0, 0};
        for (int t = 0; t < T; t++) {
            const uint8_t *yb = y + (size_t)t * ys + (size_t)b * ybs;
            qy[t] = _mm256_loadu_si256((const __m256i *)(yb + qoff));
            dys[t] = h2f_hw(yb);
            if (m) s1[t] = h2f_hw(yb + 2);
            base[t] = bias ? _mm256_sub_epi32(_mm256_setzero_si256(),
                                              _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)bias), qy[t]))
                           : _mm256_setzero_si256();
        }
        const __m128 dyv = _mm_loadu_ps(dys), s1v = _mm_loadu_ps(s1);
        for (int r = 0; r < R; r++) {
            const uint8_t *xb = w + (size_t)r * rb + (size_t)b * xbs;
            const __m256i qx = unpack_u(kind, xb);
            // The blocks' scale products dx * dy, four tokens in one multiply.
            // Through memory, so that each FMA takes its factor as a broadcast operand rather
            // than a shuffle and a broadcast of its own.
            float dd[4];
            _mm_storeu_ps(dd, _mm_mul_ps(_mm_set1_ps(scale_of(kind, xb)), dyv));
            if (T > 1) __asm__("" : "+m"(dd));
            if (m) summs[r] = _mm_fmadd_ps(_mm_set1_ps(min_of(kind, xb)), s1v, summs[r]);
            for (int t = 0; t < T; t++) {
                const __m256i lane = _mm256_dpbusd_epi32(base[t], qx, qy[t]);
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lane), _mm256_set1_ps(dd[t]), acc[r][t]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        float sm[4]; _mm_storeu_ps(sm, summs[r]);
        for (int t = 0; t < T; t++) {
            const float h = hsum_float_8(acc[r][t]);
            // Q5_0 adds its zero minimum term as the other kernels do (it can turn -0 into +0).
            out[(size_t)t * os + r] = (m || (kind & K_KIND) == K_Q5_0) ? h + sm[t] : h;
        }
    }
}

// ---------------------------------------------------------------- Q4_K and Q6_K

// The K-quants' lanes are sums over 32-quant sub-blocks of the sub-block scale times 4 products;
// here each is one vpdpwssd (scale times the two 16-bit pair sums of vpmaddubsw, added into the
// lane), the same integers as the AVX2 kernels' madd/add. The scales of a Q6_K chunk go through
// memory, as operands of vpdpwssd, for the same reason as the block scale products above.
enum { K_Q4_K = 16, K_Q6_K };   // K_UNPACKED applies here too

// K-quant blocks as tile_k reads them, unpacked once per 16-row tile like the 32-weight types:
// Q4_K's nibbles as bytes with its sub-block scales and minimums widened to 16 bits; Q6_K's
// 6-bit quants as bytes with the scale vectors chunk_scales builds.
typedef struct { uint8_t lo[4][32], hi[4][32]; int16_t sc[8], mn[8]; float d, dmin; } unpacked_q4_K;
typedef struct { uint8_t q[8][32]; int16_t scale[8][16]; float d, pad[7]; } unpacked_q6_K;

VTGT static inline __attribute__((always_inline)) void tile_k(
        int kind, int R, int T, int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys,
        float *out, size_t os) {
    const int unp = (kind & K_UNPACKED) != 0, q6 = (kind & ~K_UNPACKED) == K_Q6_K;
    const int xbs = unp ? (q6 ? (int)sizeof(unpacked_q6_K) : (int)sizeof(unpacked_q4_K)) : (q6 ? 210 : 144);
    const __m256i m4 = _mm256_set1_epi8(0xF), m2 = _mm256_set1_epi8(3), m32 = _mm256_set1_epi8(32);
    __m256 acc[4][4];
    __m128 accm[4][4];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) { acc[r][t] = _mm256_setzero_ps(); accm[r][t] = _mm_setzero_ps(); }
    for (int b = 0; b < nb; b++) {
        const uint8_t *yb[4], *xb[4];
        float dy[4];
        for (int t = 0; t < T; t++) { yb[t] = y + (size_t)t * ys + (size_t)b * CK_Q8_K_BYTES; memcpy(&dy[t], yb[t], 4); }
        for (int r = 0; r < R; r++) xb[r] = w + (size_t)r * rb + (size_t)b * xbs;
        __m256i sumi[4][4];
        for (int r = 0; r < R; r++) for (int t = 0; t < T; t++) sumi[r][t] = _mm256_setzero_si256();
        if (q6) {
            __m256i scale[4][8];
            if (unp) {
                for (int r = 0; r < R; r++)
                    for (int c = 0; c < 8; c++) scale[r][c] = _mm256_loadu_si256((const __m256i *)((const unpacked_q6_K *)xb[r])->scale[c]);
            } else {
                for (int r = 0; r < R; r++) chunk_scales(_mm_loadu_si128((const __m128i *)(xb[r] + 192)), scale[r]);
            }
            __asm__("" : "+m"(scale));
            for (int c = 0; c < 8; c++) {
                const int h = c / 4, k = c % 4;
                __m256i y8[4], y32[4];
                for (int t = 0; t < T; t++) {
                    y8[t] = _mm256_loadu_si256((const __m256i *)(yb[t] + 4 + 32 * c));
                    y32[t] = _mm256_maddubs_epi16(m32, y8[t]);
                }
                for (int r = 0; r < R; r++) {
                    __m256i q;
                    if (unp) {
                        q = _mm256_loadu_si256((const __m256i *)((const unpacked_q6_K *)xb[r])->q[c]);
                    } else {
                        const __m256i l = _mm256_loadu_si256((const __m256i *)(xb[r] + 64 * h + 32 * (k & 1)));
                        const __m256i hb = _mm256_loadu_si256((const __m256i *)(xb[r] + 128 + 32 * h));
                        const __m256i lo = k < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
                        q = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * k), m2), 4));
                    }
                    for (int t = 0; t < T; t++) {
                        const __m256i p16 = _mm256_sub_epi16(_mm256_maddubs_epi16(q, y8[t]), y32[t]);
                        sumi[r][t] = _mm256_dpwssd_epi32(sumi[r][t], scale[r][c], p16);
                    }
                }
            }
            for (int r = 0; r < R; r++) {
                const float dx = unp ? ((const unpacked_q6_K *)xb[r])->d : h2f_hw(xb[r] + 208);
                for (int t = 0; t < T; t++)
                    acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(dy[t] * dx), _mm256_cvtepi32_ps(sumi[r][t]), acc[r][t]);
            }
        } else {
            int16_t sc[4][8];
            __m128i m16[4];
            for (int r = 0; r < R; r++) {
                if (unp) {
                    const unpacked_q4_K *u = (const unpacked_q4_K *)xb[r];
                    memcpy(sc[r], u->sc, sizeof sc[r]);
                    m16[r] = _mm_loadu_si128((const __m128i *)u->mn);
                } else {
                    uint8_t mn[8], s8[8];
                    for (int j = 0; j < 8; j++) { scale_min_k4(j, xb[r] + 4, &s8[j], &mn[j]); sc[r][j] = s8[j]; }
                    m16[r] = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
                }
            }
            for (int j = 0; j < 4; j++) {
                __m256i ylo[4], yhi[4];
                for (int t = 0; t < T; t++) {
                    ylo[t] = _mm256_loadu_si256((const __m256i *)(yb[t] + 4 + 64 * j));
                    yhi[t] = _mm256_loadu_si256((const __m256i *)(yb[t] + 4 + 64 * j + 32));
                }
                for (int r = 0; r < R; r++) {
                    __m256i lo, hi;
                    if (unp) {
                        lo = _mm256_loadu_si256((const __m256i *)((const unpacked_q4_K *)xb[r])->lo[j]);
                        hi = _mm256_loadu_si256((const __m256i *)((const unpacked_q4_K *)xb[r])->hi[j]);
                    } else {
                        const __m256i bits = _mm256_loadu_si256((const __m256i *)(xb[r] + 16 + 32 * j));
                        lo = _mm256_and_si256(bits, m4); hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
                    }
                    const __m256i slo = _mm256_set1_epi16(sc[r][2 * j]), shi = _mm256_set1_epi16(sc[r][2 * j + 1]);
                    for (int t = 0; t < T; t++) {
                        sumi[r][t] = _mm256_dpwssd_epi32(sumi[r][t], slo, _mm256_maddubs_epi16(lo, ylo[t]));
                        sumi[r][t] = _mm256_dpwssd_epi32(sumi[r][t], shi, _mm256_maddubs_epi16(hi, yhi[t]));
                    }
                }
            }
            __m128i q8s[4];
            for (int t = 0; t < T; t++) {
                const __m256i bs = _mm256_loadu_si256((const __m256i *)(yb[t] + 260));
                q8s[t] = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
            }
            for (int r = 0; r < R; r++) {
                float dx, dmx;
                if (unp) { dx = ((const unpacked_q4_K *)xb[r])->d; dmx = ((const unpacked_q4_K *)xb[r])->dmin; }
                else { dx = h2f_hw(xb[r]); dmx = h2f_hw(xb[r] + 2); }
                for (int t = 0; t < T; t++) {
                    const float d = dy[t] * dx, dmin = -dy[t] * dmx;
                    accm[r][t] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(_mm_madd_epi16(m16[r], q8s[t])), accm[r][t]);
                    acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[r][t]), acc[r][t]);
                }
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            const float h = hsum_float_8(acc[r][t]);
            if (q6) { out[(size_t)t * os + r] = h; continue; }
            __m128 m = _mm_add_ps(accm[r][t], _mm_movehl_ps(accm[r][t], accm[r][t]));
            m = _mm_add_ss(m, _mm_movehdup_ps(m));
            out[(size_t)t * os + r] = h + _mm_cvtss_f32(m);
        }
}

#define TILE_FNS(K, name) TILE_FNS_OF(tile, K, name)
#define TILE_FNS_OF(tile, K, name) \
    VTGT static void name##_4_4(int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys, float *o, size_t os) { tile(K, 4, 4, nb, w, rb, y, ys, o, os); } \
    VTGT static void name##_4_3(int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys, float *o, size_t os) { tile(K, 4, 3, nb, w, rb, y, ys, o, os); } \
    VTGT static void name##_4_2(int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys, float *o, size_t os) { tile(K, 4, 2, nb, w, rb, y, ys, o, os); } \
    VTGT static void name##_4_1(int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys, float *o, size_t os) { tile(K, 4, 1, nb, w, rb, y, ys, o, os); } \
    VTGT static void name##_1_4(int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys, float *o, size_t os) { tile(K, 1, 4, nb, w, rb, y, ys, o, os); } \
    VTGT static void name##_1_1(int nb, const uint8_t *w, size_t rb, const uint8_t *y, size_t ys, float *o, size_t os) { tile(K, 1, 1, nb, w, rb, y, ys, o, os); } \
    static const tile_fn name##_fns[6] = {name##_4_4, name##_4_3, name##_4_2, name##_4_1, name##_1_4, name##_1_1};

typedef void (*tile_fn)(int, const uint8_t *, size_t, const uint8_t *, size_t, float *, size_t);

TILE_FNS(K_Q4_0, q4_0)
TILE_FNS(K_Q4_1, q4_1)
TILE_FNS(K_Q5_0, q5_0)
TILE_FNS(K_Q5_1, q5_1)
TILE_FNS(K_Q8_0, q8_0)
TILE_FNS(K_Q4_0 | K_UNPACKED, u4_0)
TILE_FNS(K_Q4_1 | K_UNPACKED, u4_1)
TILE_FNS(K_Q5_0 | K_UNPACKED, u5_0)
TILE_FNS(K_Q5_1 | K_UNPACKED, u5_1)
TILE_FNS(K_Q8_0 | K_UNPACKED, u8_0)

VTGT static void unpack_q4_0(int rows, int nb, const uint8_t *w, size_t rb, void *u) { unpack_rows(K_Q4_0, rows, nb, w, rb, (unpacked_block *)u); }
VTGT static void unpack_q4_1(int rows, int nb, const uint8_t *w, size_t rb, void *u) { unpack_rows(K_Q4_1, rows, nb, w, rb, (unpacked_block *)u); }
VTGT static void unpack_q5_0(int rows, int nb, const uint8_t *w, size_t rb, void *u) { unpack_rows(K_Q5_0, rows, nb, w, rb, (unpacked_block *)u); }
VTGT static void unpack_q5_1(int rows, int nb, const uint8_t *w, size_t rb, void *u) { unpack_rows(K_Q5_1, rows, nb, w, rb, (unpacked_block *)u); }
VTGT static void unpack_q8_0(int rows, int nb, const uint8_t *w, size_t rb, void *u) { unpack_rows(K_Q8_0, rows, nb, w, rb, (unpacked_block *)u); }
TILE_FNS_OF(tile_k, K_Q4_K, q4_K)
TILE_FNS_OF(tile_k, K_Q6_K, q6_K)
TILE_FNS_OF(tile_k, K_Q4_K | K_UNPACKED, u4_K)
TILE_FNS_OF(tile_k, K_Q6_K | K_UNPACKED, u6_K)

VTGT static void unpack_q4_K(int rows, int nb, const uint8_t *w, size_t rb, void *out) {
    const __m256i m4 = _mm256_set1_epi8(0xF);
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *xb = w + (size_t)r * rb + (size_t)b * 144;
            unpacked_q4_K *u = (unpacked_q4_K *)out + (size_t)r * nb + b;
            for (int j = 0; j < 4; j++) {
                const __m256i bits = _mm256_loadu_si256((const __m256i *)(xb + 16 + 32 * j));
                _mm256_storeu_si256((__m256i *)u->lo[j], _mm256_and_si256(bits, m4));
                _mm256_storeu_si256((__m256i *)u->hi[j], _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4));
            }
            for (int j = 0; j < 8; j++) {
                uint8_t sc, mn;
                scale_min_k4(j, xb + 4, &sc, &mn);
                u->sc[j] = sc; u->mn[j] = mn;
            }
            u->d = h2f_hw(xb); u->dmin = h2f_hw(xb + 2);
        }
}

VTGT static void unpack_q6_K(int rows, int nb, const uint8_t *w, size_t rb, void *out) {
    const __m256i m4 = _mm256_set1_epi8(0xF), m2 = _mm256_set1_epi8(3);
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *xb = w + (size_t)r * rb + (size_t)b * 210;
            unpacked_q6_K *u = (unpacked_q6_K *)out + (size_t)r * nb + b;
            __m256i scale[8];
            chunk_scales(_mm_loadu_si128((const __m128i *)(xb + 192)), scale);
            for (int c = 0; c < 8; c++) {
                const int h = c / 4, k = c % 4;
                const __m256i l = _mm256_loadu_si256((const __m256i *)(xb + 64 * h + 32 * (k & 1)));
                const __m256i hb = _mm256_loadu_si256((const __m256i *)(xb + 128 + 32 * h));
                const __m256i lo = k < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
                _mm256_storeu_si256((__m256i *)u->q[c], _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * k), m2), 4)));
                _mm256_storeu_si256((__m256i *)u->scale[c], scale[c]);
            }
            u->d = h2f_hw(xb + 208);
        }
}

// ---------------------------------------------------------------- one token (decoding)

// Rows of a 32-weight type against one activation, R rows side by side. Each row is its own
// chain of block FMAs (the single-product kernel's order); side by side, the chains of R rows
// overlap, where row after row each waited on its FMA latency: the AVX2 kernel ran a Q4_1 row
// in about 4 cycles per block and read weights at 14-17 GB/s on two cores; this reads them at
// 24-27 GB/s. The activation's block scales (and Q8_1's scaled sums) come as floats, converted
// once per product rather than once per row.
VTGT static inline __attribute__((always_inline)) void decode_rows(
        int kind, int R, int nb, const uint8_t *w, size_t rb, const uint8_t *y,
        const float *dy, const float *sy, float *out) {
    const int xbs = x_bytes(kind), m = has_min(kind), ybs = m ? 36 : 34, qoff = m ? 4 : 2;
    const int bias = bias_of(kind);
    __m256 acc[2];
    __m128 summs[2];   // lane 1: the sum of minimum products (Q4_1 / Q5_1)
    for (int r = 0; r < R; r++) { acc[r] = _mm256_setzero_ps(); summs[r] = _mm_setzero_ps(); }
    for (int b = 0; b < nb; b++) {
        const __m256i qy = _mm256_loadu_si256((const __m256i *)(y + (size_t)b * ybs + qoff));
        const __m256i base = bias ? _mm256_sub_epi32(_mm256_setzero_si256(),
                                                     _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)bias), qy))
                                  : _mm256_setzero_si256();
        const __m128 dyv = _mm_set_ss(dy[b]), syv = _mm_set_ps(0, 0, m ? sy[b] : 0, 0);
        for (int r = 0; r < R; r++) {
            const uint8_t *xb = w + (size_t)r * rb + (size_t)b * xbs;
            // The block's F16 scale and minimum (or the first two quant bytes: unused) in one conversion.
            int32_t dmw; memcpy(&dmw, xb, 4);
            const __m128 dm = _mm_cvtph_ps(_mm_cvtsi32_si128(dmw));
            if (m) summs[r] = _mm_fmadd_ps(dm, syv, summs[r]);
            const __m256 dd = _mm256_broadcastss_ps(_mm_mul_ss(dm, dyv));
            const __m256 lane = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(base, unpack_u(kind, xb), qy));
            acc[r] = _mm256_fmadd_ps(dd, lane, acc[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        const float h = hsum_float_8(acc[r]);
        const float sm = _mm_cvtss_f32(_mm_movehdup_ps(summs[r]));
        // Q5_0 adds its zero minimum term as the other kernels do (it can turn -0 into +0).
        out[r] = (m || (kind & K_KIND) == K_Q5_0) ? h + sm : h;
    }
}

// One function per kind, R fixed inside so each count gets its own specialised loop.
#define DECODE_FN(K, name) \
    VTGT static void name(int R, int nb, const uint8_t *w, size_t rb, const uint8_t *y, const float *dy, const float *sy, float *o) { \
        if (R == 2) decode_rows(K, 2, nb, w, rb, y, dy, sy, o); else decode_rows(K, 1, nb, w, rb, y, dy, sy, o); }
DECODE_FN(K_Q4_0, dec_q4_0)
DECODE_FN(K_Q4_1, dec_q4_1)
DECODE_FN(K_Q5_0, dec_q5_0)
DECODE_FN(K_Q5_1, dec_q5_1)

// Fewer than 4 tokens of Q4_0, Q4_1, Q5_0 or Q5_1 (decode_matmul). Q8_0 stays with its AVX2
// kernel, which reads a row as one stream at 21 GB/s per core; side by side its 34-byte blocks
// ran at 8.
static int matmul_decode(int t, const uint8_t *w, size_t rb, int n, int row0, int row1,
                         const uint8_t *xq, size_t xs, int ntok, float *out, size_t os) {
    ck_decode_rows_fn f;
    switch (t) {
    case CK_TYPE_Q4_0: f = dec_q4_0; break;
    case CK_TYPE_Q4_1: f = dec_q4_1; break;
    case CK_TYPE_Q5_0: f = dec_q5_0; break;
    case CK_TYPE_Q5_1: f = dec_q5_1; break;
    default: return 0;
    }
    return decode_matmul(f, t == CK_TYPE_Q4_1 || t == CK_TYPE_Q5_1, w, rb, n, row0, row1, xq, xs, ntok, out, os);
}

// The calling thread's buffer for unpacked tiles, grown to the largest asked for and kept (freed
// when the thread ends): a prompt pass makes hundreds of products per thread, each wanting the
// same few tens of KiB. NULL when it cannot grow (the tiles then read packed rows).
typedef struct { void *buffer; size_t capacity; } tile_buffer;
static pthread_key_t tile_key;
static pthread_once_t tile_key_once = PTHREAD_ONCE_INIT;
static void tile_buffer_free(void *p) { tile_buffer *b = p; free(b->buffer); free(b); }
static void tile_key_make(void) { pthread_key_create(&tile_key, tile_buffer_free); }

static void *tile_scratch(size_t bytes) {
    pthread_once(&tile_key_once, tile_key_make);
    tile_buffer *b = pthread_getspecific(tile_key);
    if (!b) {
        if (!(b = calloc(1, sizeof *b))) return NULL;
        if (pthread_setspecific(tile_key, b) != 0) { free(b); return NULL; }
    }
    if (bytes <= b->capacity) return b->buffer;
    const size_t size = (bytes + 63) / 64 * 64;
    void *grown = aligned_alloc(64, size);
    if (!grown) return NULL;
    free(b->buffer);
    b->buffer = grown;
    b->capacity = size;
    return grown;
}

int ck_matmul_vnni(int t, const uint8_t *w, size_t rb, int n, int row0, int row1,
                   const uint8_t *xq, size_t xs, int ntok, float *out, size_t os) {
    const tile_fn *f;
    void (*unpack)(int, int, const uint8_t *, size_t, void *) = NULL;
    size_t ubytes = sizeof(unpacked_block);   // one unpacked block
    switch (t) {
    case CK_TYPE_Q4_0: f = u4_0_fns; unpack = unpack_q4_0; break;
    case CK_TYPE_Q4_1: f = u4_1_fns; unpack = unpack_q4_1; break;
    case CK_TYPE_Q5_0: f = u5_0_fns; unpack = unpack_q5_0; break;
    case CK_TYPE_Q5_1: f = u5_1_fns; unpack = unpack_q5_1; break;
    case CK_TYPE_Q8_0: f = u8_0_fns; unpack = unpack_q8_0; break;
    case CK_TYPE_Q4_K: f = u4_K_fns; unpack = unpack_q4_K; ubytes = sizeof(unpacked_q4_K); break;
    case CK_TYPE_Q6_K: f = u6_K_fns; unpack = unpack_q6_K; ubytes = sizeof(unpacked_q6_K); break;
    default: return 0;
    }
    // Fewer than 4 tokens (decoding): two rows side by side, where that is faster.
    if (ntok < 4) return matmul_decode(t, w, rb, n, row0, row1, xq, xs, ntok, out, os);
    const int nb = n / ck_block_size(t);
    // Tiles of 16 rows stay in L1 (or L2, unpacked K-quants) while every activation passes over
    // them; each tile is unpacked once, before its groups of 4 tokens. With one group only
    // (4 tokens: a batch of 4 streams) nothing would reuse the unpacked copy, so the tiles read
    // the packed rows, as they also do if the scratch cannot be had.
    void *scratch = ntok > 4 ? tile_scratch((size_t)16 * nb * ubytes) : NULL;
    if (!scratch) {
        switch (t) {
        case CK_TYPE_Q4_0: f = q4_0_fns; break;
        case CK_TYPE_Q4_1: f = q4_1_fns; break;
        case CK_TYPE_Q5_0: f = q5_0_fns; break;
        case CK_TYPE_Q5_1: f = q5_1_fns; break;
        case CK_TYPE_Q8_0: f = q8_0_fns; break;
        case CK_TYPE_Q4_K: f = q4_K_fns; break;
        default: f = q6_K_fns; break;
        }
    }
    for (int r0 = row0; r0 < row1; r0 += 16) {
        const int r1 = r0 + 16 < row1 ? r0 + 16 : row1;
        const uint8_t *tw = w + (size_t)r0 * rb;   // the tile's first row, packed or unpacked
        size_t trb = rb;
        if (scratch) {
            unpack(r1 - r0, nb, tw, rb, scratch);
            tw = (const uint8_t *)scratch;
            trb = (size_t)nb * ubytes;
        }
        for (int tk = 0; tk < ntok; tk += 4) {
            const int nt = ntok - tk < 4 ? ntok - tk : 4;
            const uint8_t *y = xq + (size_t)tk * xs;
            float *o = out + (size_t)tk * os;
            int r = r0;
            for (; r + 4 <= r1; r += 4) f[4 - nt](nb, tw + (size_t)(r - r0) * trb, trb, y, xs, o + r, os);
            for (; r < r1; r++) {
                const uint8_t *wr = tw + (size_t)(r - r0) * trb;
                if (nt == 4) { f[4](nb, wr, trb, y, xs, o + r, os); continue; }
                for (int j = 0; j < nt; j++) f[5](nb, wr, trb, y + (size_t)j * xs, xs, o + (size_t)j * os + r, os);
            }
        }
    }
    return 1;
}
#endif
