// The 32-bit real FFT, restructured for cores with a 32x32->64 multiply-accumulate
// (Cortex-M3 and up, the Unix port). Integer for integer the same as es_rfft32_run
// (dsp/rfft.c, the reference and the specification):
// - fixdiv(v, p) = sround(v * (MAX / p)); with ARMv7E-M's SMMULR this is one instruction,
//   (v * 2 (MAX / p) + 2**31) >> 32 being the same value;
// - the butterflies' complex products sround(x.re w.re - x.im w.im) etc. take the doubled
//   operand 2x (|x| < 2**30 after fixdiv, so 2x fits): (2x.re w.re + 2x.im (-w.im) + 2**31)
//   >> 32 is the same value and needs no shift (-w.im fits: twiddles lie in [-MAX, MAX]);
// - butterflies are visited twiddle by twiddle, each twiddle loaded once; those of twiddle 0
//   = (MAX, 0) skip its products (the identity for the values fixdiv leaves);
// - on ARMv7E-M the other radix-4 butterflies and the real split are in rfft32_dsp.S;
//   elsewhere the real split is the reference's.

#include "dsp/dsp.h"

#if ES_RFFT32_OPT

EARSHOT_OPT_SPEED

#define MAX32 (0x7FFFFFFF)
#define K2 (MAX32 / 2)
#define K4 (MAX32 / 4)

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
static inline int32_t fixdiv(int32_t v, int32_t k) {
    int32_t r;
    __asm__ ("smmulr %0, %1, %2" : "=r" (r) : "r" (v), "r" (2 * k));
    return r;
}
#else
static inline int32_t fixdiv(int32_t v, int32_t k) {
    return (int32_t)(((int64_t)v * k + ((int64_t)1 << 30)) >> 31);
}
#endif

#if defined(__ARM_ARCH_7EM__)
// rfft32_dsp.S: the radix-4 butterflies of one twiddle, the real split.
#define ES_RFFT32_R4_ASM (1)
typedef struct _es_r4_column_t {
    int32_t w[6]; // w1, w2, w3 as (re, im)
    uint32_t quarter; // bytes from a butterfly's first value to its second
} es_r4_column_t;
void es_rfft32_r4_column(int32_t *f0, uint32_t count, const es_r4_column_t *col);
void es_rfft32_split(int32_t *buf, uint32_t n, const uint8_t *super);
#else
#define ES_RFFT32_R4_ASM (0)
#endif

// sround(x * y + u * z) from the doubled x2 = 2x and u2 = 2u: the high word of the
// 64-bit sum plus the carry of adding 2**31 to its low word (bit 31).
static inline int32_t dot2(int32_t x2, int32_t y, int32_t u2, int32_t z) {
    int64_t acc = (int64_t)x2 * y + (int64_t)u2 * z;
    return (int32_t)((uint32_t)((uint64_t)acc >> 32) + ((uint32_t)acc >> 31));
}

// Wrapping int32 add / sub (the sample type's arithmetic).
static inline int32_t add32(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
static inline int32_t sub32(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

// A radix-2 butterfly's outputs from a = fixdiv(f0) and t = f1's product with its twiddle.
static inline void store2(int32_t *f0, int32_t *f1, int32_t ar, int32_t ai, int32_t tr,
    int32_t ti) {
    f1[0] = sub32(ar, tr);
    f1[1] = sub32(ai, ti);
    f0[0] = add32(ar, tr);
    f0[1] = add32(ai, ti);
}

// A radix-4 butterfly's outputs from a0 = fixdiv(f0) and s0, s1, s2 = the products of
// f1, f2, f3 with their twiddles (each as re, im).
static inline void store4(int32_t *f0, int32_t *f1, int32_t *f2, int32_t *f3, const int32_t a0[2],
    const int32_t s0[2], const int32_t s1[2], const int32_t s2[2]) {
    int32_t s5r = sub32(a0[0], s1[0]), s5i = sub32(a0[1], s1[1]);
    int32_t g0r = add32(a0[0], s1[0]), g0i = add32(a0[1], s1[1]);
    int32_t s3r = add32(s0[0], s2[0]), s3i = add32(s0[1], s2[1]);
    int32_t s4r = sub32(s0[0], s2[0]), s4i = sub32(s0[1], s2[1]);
    f2[0] = sub32(g0r, s3r);
    f2[1] = sub32(g0i, s3i);
    f0[0] = add32(g0r, s3r);
    f0[1] = add32(g0i, s3i);
    f1[0] = add32(s5r, s4i);
    f1[1] = sub32(s5i, s4r);
    f3[0] = sub32(s5r, s4i);
    f3[1] = add32(s5i, s4r);
}

// fixdiv(x, K4) of a complex value, times twiddle w (re, im at w, any alignment).
static inline void twiddled4(const int32_t *x, const uint8_t *w, int32_t out[2]) {
    const int32_t wr = es_rd_i32(w), wi = es_rd_i32(w + 4);
    const int32_t xr = 2 * fixdiv(x[0], K4), xi = 2 * fixdiv(x[1], K4);
    out[0] = dot2(xr, wr, xi, -wi);
    out[1] = dot2(xr, wi, xi, wr);
}

// The butterflies of twiddle 0 when it is (MAX, 0) (es_rfft_t.unit_twiddle0): its products
// are the identity (sround(a * MAX) == a for |a| <= 2**30; fixdiv's results are smaller).

static void radix2(const es_rfft_t *f, int32_t *buf, uint32_t m, uint32_t fstride) {
    uint32_t k = 0;
    if (f->unit_twiddle0) {
        const int32_t *end = buf + 4 * m * fstride;
        for (int32_t *f0 = buf; f0 != end; f0 += 4 * m) {
            int32_t *f1 = f0 + 2 * m;
            store2(f0, f1, fixdiv(f0[0], K2), fixdiv(f0[1], K2), fixdiv(f1[0], K2),
                fixdiv(f1[1], K2));
        }
        k = 1;
    }
    for (; k < m; ++k) {
        const uint8_t *w = f->twiddles.p + 8 * k * fstride;
        const int32_t wr = es_rd_i32(w), wi = es_rd_i32(w + 4), nwi = -wi;
        int32_t *f0 = buf + 2 * k;
        for (uint32_t b = 0; b < fstride; ++b, f0 += 4 * m) {
            int32_t *f1 = f0 + 2 * m;
            int32_t br = 2 * fixdiv(f1[0], K2), bi = 2 * fixdiv(f1[1], K2);
            store2(f0, f1, fixdiv(f0[0], K2), fixdiv(f0[1], K2), dot2(br, wr, bi, nwi),
                dot2(br, wi, bi, wr));
        }
    }
}

static void radix4(const es_rfft_t *f, int32_t *buf, uint32_t m, uint32_t fstride) {
    uint32_t k = 0;
    if (f->unit_twiddle0) {
        int32_t *f0 = buf;
        for (uint32_t b = 0; b < fstride; ++b, f0 += 8 * m) {
            int32_t *f1 = f0 + 2 * m, *f2 = f1 + 2 * m, *f3 = f2 + 2 * m;
            const int32_t a0[2] = { fixdiv(f0[0], K4), fixdiv(f0[1], K4) };
            const int32_t s0[2] = { fixdiv(f1[0], K4), fixdiv(f1[1], K4) };
            const int32_t s1[2] = { fixdiv(f2[0], K4), fixdiv(f2[1], K4) };
            const int32_t s2[2] = { fixdiv(f3[0], K4), fixdiv(f3[1], K4) };
            store4(f0, f1, f2, f3, a0, s0, s1, s2);
        }
        k = 1;
    }
    const uint32_t t = 8 * fstride; // twiddle bytes per k
    #if ES_RFFT32_R4_ASM
    // The twiddles into words for the assembly (the table may sit at any address).
    es_r4_column_t col;
    col.quarter = 8 * m;
    const uint8_t *w1 = f->twiddles.p + k * t, *w2 = w1 + k * t, *w3 = w2 + k * t;
    for (; k < m; ++k, w1 += t, w2 += 2 * t, w3 += 3 * t) {
        memcpy(&col.w[0], w1, 8);
        memcpy(&col.w[2], w2, 8);
        memcpy(&col.w[4], w3, 8);
        es_rfft32_r4_column(buf + 2 * k, fstride, &col);
    }
    #else
    for (; k < m; ++k) {
        const uint8_t *w1 = f->twiddles.p + k * t, *w2 = w1 + k * t, *w3 = w2 + k * t;
        int32_t *f0 = buf + 2 * k;
        for (uint32_t b = 0; b < fstride; ++b, f0 += 8 * m) {
            int32_t *f1 = f0 + 2 * m, *f2 = f1 + 2 * m, *f3 = f2 + 2 * m;
            const int32_t a0[2] = { fixdiv(f0[0], K4), fixdiv(f0[1], K4) };
            int32_t s0[2], s1[2], s2[2];
            twiddled4(f1, w1, s0);
            twiddled4(f2, w2, s1);
            twiddled4(f3, w3, s2);
            store4(f0, f1, f2, f3, a0, s0, s1, s2);
        }
    }
    #endif
}

void es_rfft32_run_opt(const es_rfft_t *f, int32_t *buf) {
    const uint32_t n = f->n;
    for (int32_t s = (int32_t)f->stages - 1; s >= 0; --s) {
        const uint32_t p = (uint16_t)es_tab_i16(&f->factors, 2 * s);
        const uint32_t m = (uint16_t)es_tab_i16(&f->factors, 2 * s + 1);
        if (p == 2) {
            radix2(f, buf, m, n / (2 * m));
        } else {
            radix4(f, buf, m, n / (4 * m));
        }
    }
    #if ES_RFFT32_R4_ASM
    int32_t dr = fixdiv(buf[0], K2), di = fixdiv(buf[1], K2);
    buf[0] = add32(dr, di);
    buf[1] = 0;
    buf[2 * n] = sub32(dr, di);
    buf[2 * n + 1] = 0;
    es_rfft32_split(buf, n, f->super_twiddles.p);
    #else
    es_rfft32_real_split(f, buf); // the reference's: nothing to gain in C
    #endif
}

#endif // ES_RFFT32_OPT
