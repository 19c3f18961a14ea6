// The 16-bit real FFT with ARMv7E-M SIMD (Cortex-M4/M7): each complex value is one 32-bit
// word (re in the low half, im in the high half), so a KISS FFT butterfly is a handful of
// dual 16-bit instructions. Integer for integer the same as es_rfft16_run (dsp/rfft.c,
// the reference and the specification):
//   fixdiv(v, p) = sround(v * (MAX / p)):  SMLABB / SMLATB with the rounding constant;
//   cmul(a, w):  re = SMLSD(a, w, 2**14) >> 15, im = SMLADX(a, w, 2**14) >> 15;
//   wrapping int16 sums and differences:  SADD16 / SSUB16, the i-rotations SASX / SSAX;
//   the real split's (x + y) >> 1:  SHADD16 / SHSUB16.
// Products and sums are those of the reference in 32 bits, so the results are identical.
// Butterflies of a stage are independent; this version visits them twiddle by twiddle
// (each twiddle loaded once) instead of block by block.

#include "dsp/dsp.h"

#if ES_RFFT16_SIMD

#include <arm_acle.h>

#define RND (1 << 14)
#define K2 (32767 / 2)
#define K4 (32767 / 4)

EARSHOT_OPT_SPEED

static inline uint32_t ld(const int16_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void st(int16_t *p, uint32_t v) {
    memcpy(p, &v, sizeof(v));
}

// Twiddle i of a table of (re, im) int16 pairs, as one word (any alignment: the tables
// live in a model buffer; ARMv7-M loads words from any address).
static inline uint32_t tw(const es_tab_t *t, uint32_t i) {
    return es_rd_u32(t->p + 4 * i);
}

// (lo >> 15) in the low half, (hi >> 15) in the high half, each truncated to 16 bits.
static inline uint32_t pack15(int32_t lo, int32_t hi) {
    uint32_t r;
    __asm__ ("pkhtb %0, %1, %2, asr #15" : "=r" (r) : "r" ((uint32_t)hi << 1), "r" (lo));
    return r;
}

// sround(x * k) of both halves. The high half is computed doubled, 2 (x.hi k + 2**14)
// (no overflow: |x| <= 2**15, k < 2**14), whose top 16 bits are already the result.
static inline uint32_t fixdiv(uint32_t x, int32_t k) {
    uint32_t r;
    int32_t hi2 = __smlatb((int32_t)x, 2 * k, 2 * RND);
    __asm__ ("pkhtb %0, %1, %2, asr #15" : "=r" (r) : "r" (hi2), "r" (__smlabb((int32_t)x, k, RND)));
    return r;
}

// cmul(a, w) with the reference's rounding.
static inline uint32_t cmul(uint32_t a, uint32_t w) {
    return pack15(__smlsd((int32_t)a, (int32_t)w, RND), __smladx((int32_t)a, (int32_t)w, RND));
}

// A radix-4 butterfly's outputs from a0 = fixdiv(f0) and s0, s1, s2 = the products of f1,
// f2, f3 with their twiddles.
static inline __attribute__((always_inline)) void store4(int16_t *f0, int16_t *f1, int16_t *f2,
    int16_t *f3, int32_t a0, int32_t s0, int32_t s1, int32_t s2) {
    int32_t s5 = __ssub16(a0, s1);
    int32_t g0 = __sadd16(a0, s1);
    int32_t s3 = __sadd16(s0, s2);
    int32_t s4 = __ssub16(s0, s2);
    st(f2, (uint32_t)__ssub16(g0, s3));
    st(f0, (uint32_t)__sadd16(g0, s3));
    st(f1, (uint32_t)__ssax(s5, s4)); // (s5.re + s4.im, s5.im - s4.re)
    st(f3, (uint32_t)__sasx(s5, s4)); // (s5.re - s4.im, s5.im + s4.re)
}

// One radix-4 butterfly on f0, f0 + m, f0 + 2m, f0 + 3m (complex values).
static inline __attribute__((always_inline)) void bfly4(int16_t *f0, uint32_t m, uint32_t w1,
    uint32_t w2, uint32_t w3) {
    int16_t *f1 = f0 + 2 * m;
    int16_t *f2 = f1 + 2 * m;
    int16_t *f3 = f2 + 2 * m;
    int32_t a0 = (int32_t)fixdiv(ld(f0), K4);
    int32_t s0 = (int32_t)cmul(fixdiv(ld(f1), K4), w1);
    int32_t s1 = (int32_t)cmul(fixdiv(ld(f2), K4), w2);
    int32_t s2 = (int32_t)cmul(fixdiv(ld(f3), K4), w3);
    store4(f0, f1, f2, f3, a0, s0, s1, s2);
}

// fixdiv of both halves of x each shifted left by pre first (truncated to int16: the
// bottom halves SMLABB reads).
static inline uint32_t fixdiv_shifted(uint32_t x, int32_t k, int32_t pow2) {
    uint32_t r;
    int32_t hi2 = __smlabb(((int32_t)x >> 16) * pow2, 2 * k, 2 * RND);
    int32_t lo = __smlabb((int16_t)x * pow2, k, RND);
    __asm__ ("pkhtb %0, %1, %2, asr #15" : "=r" (r) : "r" (hi2), "r" (lo));
    return r;
}

// The radix-4 butterflies of one block from twiddle k on (rfft16_bfly_dsp.S: bfly4 in
// assembly, twiddles read per butterfly, any alignment).
typedef struct {
    const uint8_t *tw; // twiddle table
    uint32_t o, step; // byte offset of w1 in it; its growth per butterfly
    uint32_t q; // bytes from f0 to f1
} es_r4_row_t;
void es_rfft16_r4_row_dsp(int16_t *f0, int16_t *end, const es_r4_row_t *row);
// The first stage's butterflies when they are radix 4 with m = 1 and unit twiddles, on
// inputs each shifted left by log2(pow2) first (rfft16_bfly_dsp.S: bfly4 of
// fixdiv_shifted values, in assembly).
void es_rfft16_first_dsp(int16_t *buf, uint32_t blocks, int32_t pow2);
// The real split's pairs k = 1 .. n/2 (rfft16_bfly_dsp.S: the loop of es_rfft16_run_simd
// in assembly).
void es_rfft16_split_dsp(int16_t *buf, uint32_t n, const uint8_t *super);

static void stages(const es_rfft_t *f, int16_t *buf, int pre) {
    const uint32_t n = f->n;
    int32_t s = (int32_t)f->stages - 1;
    // The first stage, when it has blocks of 4 values (radix 4, m = 1) and twiddle 0 is
    // (MAX, 0), shifts its inputs as it loads them; otherwise a pass of its own does.
    if ((uint16_t)es_tab_i16(&f->factors, 2 * s) == 4
        && (uint16_t)es_tab_i16(&f->factors, 2 * s + 1) == 1 && f->unit_twiddle0) {
            es_rfft16_first_dsp(buf, n / 4, 1 << pre);
        --s;
    } else if (pre) {
        es_rfft16_shift(f, buf, pre);
    }
    for (; s >= 0; --s) {
        const uint32_t p = (uint16_t)es_tab_i16(&f->factors, 2 * s);
        const uint32_t m = (uint16_t)es_tab_i16(&f->factors, 2 * s + 1);
        const uint32_t fstride = n / (p * m);
        const uint32_t step = 2 * p * m; // int16 values from one block to the next
        // The butterflies of twiddle 0 when it is (MAX, 0) (es_rfft_t.unit_twiddle0) skip
        // its products: the identity for |a| <= 2**14, and fixdiv's results are smaller.
        const uint32_t k0 = f->unit_twiddle0;
        if (k0 && p == 2) {
            int16_t *f0 = buf;
            for (uint32_t b = 0; b < fstride; ++b, f0 += step) {
                int16_t *f1 = f0 + 2 * m;
                uint32_t a = fixdiv(ld(f0), K2);
                uint32_t t = fixdiv(ld(f1), K2);
                st(f1, (uint32_t)__ssub16((int32_t)a, (int32_t)t));
                st(f0, (uint32_t)__sadd16((int32_t)a, (int32_t)t));
            }
        } else if (k0) {
            int16_t *f0 = buf;
            for (uint32_t b = 0; b < fstride; ++b, f0 += step) {
                int16_t *f1 = f0 + 2 * m;
                int16_t *f2 = f1 + 2 * m;
                int16_t *f3 = f2 + 2 * m;
                store4(f0, f1, f2, f3, (int32_t)fixdiv(ld(f0), K4), (int32_t)fixdiv(ld(f1), K4),
                    (int32_t)fixdiv(ld(f2), K4), (int32_t)fixdiv(ld(f3), K4));
            }
        }
        if (p == 2) {
            for (uint32_t k = k0; k < m; ++k) {
                const uint32_t w1 = tw(&f->twiddles, k * fstride);
                int16_t *f0 = buf + 2 * k;
                for (uint32_t b = 0; b < fstride; ++b, f0 += step) {
                    int16_t *f1 = f0 + 2 * m;
                    uint32_t a = fixdiv(ld(f0), K2);
                    uint32_t t = cmul(fixdiv(ld(f1), K2), w1);
                    st(f1, (uint32_t)__ssub16((int32_t)a, (int32_t)t));
                    st(f0, (uint32_t)__sadd16((int32_t)a, (int32_t)t));
                }
            }
            continue;
        }
        // The other radix-4 butterflies, block by block (rfft16_bfly_dsp.S: bfly4 in
        // assembly).
        if (k0 < m) {
            const es_r4_row_t row = {f->twiddles.p, 4 * k0 * fstride, 4 * fstride, 4 * m};
            int16_t *blk = buf;
            for (uint32_t b = 0; b < fstride; ++b, blk += step) {
                es_rfft16_r4_row_dsp(blk + 2 * k0, blk + 2 * m, &row);
            }
        }
    }
}

void es_rfft16_run_simd(const es_rfft_t *f, int16_t *buf, int pre_shift) {
    const uint32_t n = f->n;
    stages(f, buf, pre_shift);
    uint32_t d = fixdiv(ld(buf), K2);
    int16_t dr = (int16_t)d, di = (int16_t)(d >> 16);
    buf[0] = (int16_t)(dr + di);
    buf[1] = 0;
    buf[2 * n] = (int16_t)(dr - di);
    buf[2 * n + 1] = 0;
    es_rfft16_split_dsp(buf, n, f->super_twiddles.p);
}

#endif // ES_RFFT16_SIMD
