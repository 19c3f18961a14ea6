// The 16-bit real FFT for ARMv6-M (Cortex-M0/M0+: Thumb-1, no DSP, 8 low registers).
// Integer for integer the same as es_rfft16_run (dsp/rfft.c, the reference and the
// specification), with cheaper forms of the same integer functions:
//   fixdiv(v, 32767 / 4) = sround(8191 v)  = ((v + 2) * 8192 - v) >> 15,
//   fixdiv(v, 32767 / 2) = sround(16383 v) = ((v + 1) * 16384 - v) >> 15
//     (exact for every int16 v: 8191 v + 2**14 = 8192 (v + 2) - v);
//   sround(x) = (x + 2**14) >> 15 = ((x >> 14) + 1) >> 1 (floor of floors);
// and no wrapping where a value cannot leave int16 (fixdiv results are within +-2**14,
// twiddle products of them within +-2**14), so the only truncations left are those of
// the stored values (strh) and of the real split's sums. A complex value is one word
// (re in the low half); the twiddle tables are read as words, so they must be 4-byte
// aligned (model files place tables 16-byte aligned; a model buffer at an odd address
// takes the reference).

#include <stdint.h>

#include "dsp/dsp.h"

#if ES_RFFT16_V6M

EARSHOT_OPT_SPEED

static inline int32_t fix4(int32_t v) {
    return (((v + 2) << 13) - v) >> 15;
}

static inline int32_t fix2(int32_t v) {
    return (((v + 1) << 14) - v) >> 15;
}

static inline int32_t rnd15(int32_t x) {
    return ((x >> 14) + 1) >> 1;
}

static inline uint32_t ldw(const int16_t *p) {
    return *(const uint32_t *)(const void *)p;
}

// re, im of a complex word
#define RE(w) ((int32_t)(int16_t)(w))
#define IM(w) ((int32_t)(w) >> 16)

// The radix-4 butterflies of one block from twiddle k on (rfft16_bfly_v6m.S, bfly4 in assembly).
typedef struct {
    const uint8_t *tw; // twiddle table
    uint32_t o, step; // byte offset of w1 in it; its growth per butterfly
    uint32_t q; // bytes from f0 to f1
} es_r4_row_t;
void es_rfft16_r4_row_v6m(int16_t *f0, int16_t *end, const es_r4_row_t *row);
// The real split's pairs k = 1 .. n/2 (rfft16_bfly_v6m.S, in assembly):
//   zk = buf + 2k, zn = buf + 2(n - k); a = fix2(zk); b = (fix2(zn.re), fix2((int16)-zn.im));
//   f1 = a + b; f2 = a - b (|fix2| <= 16383: neither wraps); w = super[k - 1];
//   t = (int16)rnd15(cmul(f2, w)); zk = (f1 + t) >> 1; zn = ((f1.re - t.re) >> 1,
//   (t.im - f1.im) >> 1).
void es_rfft16_split_v6m(int16_t *buf, uint32_t n, const uint8_t *super);
// The first stage when it is radix 4 with m = 1 (blocks of 4 values) and twiddle 0 is
// (MAX, 0), on inputs still to be shifted left by sh - 16 (rfft16_bfly_v6m.S: bfly4_unit
// in assembly, each input word w read as re = (w << sh) >> 16, im = ((w >> 16) << sh)
// >> 16, the int16 truncation of the shift).
void es_rfft16_first_v6m(int16_t *buf, int16_t *end, uint32_t sh);

static inline void st(int16_t *p, int32_t re, int32_t im) {
    p[0] = (int16_t)re;
    p[1] = (int16_t)im;
}

// One radix-4 butterfly: f0, f1 = f0 + q, f2, f3 (q int16 values apart), twiddles w1..w3
// as words.
static inline __attribute__((always_inline)) void bfly4(int16_t *f0, uint32_t q, uint32_t w1,
    uint32_t w2, uint32_t w3) {
    int16_t *f1 = f0 + q, *f2 = f1 + q, *f3 = f2 + q;
    uint32_t v;
    v = ldw(f1);
    int32_t ar = fix4(RE(v)), ai = fix4(IM(v));
    int32_t s0r = rnd15(ar * RE(w1) - ai * IM(w1));
    int32_t s0i = rnd15(ar * IM(w1) + ai * RE(w1));
    v = ldw(f3);
    ar = fix4(RE(v));
    ai = fix4(IM(v));
    int32_t s2r = rnd15(ar * RE(w3) - ai * IM(w3));
    int32_t s2i = rnd15(ar * IM(w3) + ai * RE(w3));
    int32_t s3r = s0r + s2r, s3i = s0i + s2i;
    int32_t s4r = s0r - s2r, s4i = s0i - s2i;
    v = ldw(f2);
    ar = fix4(RE(v));
    ai = fix4(IM(v));
    int32_t s1r = rnd15(ar * RE(w2) - ai * IM(w2));
    int32_t s1i = rnd15(ar * IM(w2) + ai * RE(w2));
    v = ldw(f0);
    int32_t a0r = fix4(RE(v)), a0i = fix4(IM(v));
    int32_t g0r = a0r + s1r, g0i = a0i + s1i;
    int32_t s5r = a0r - s1r, s5i = a0i - s1i;
    st(f0, g0r + s3r, g0i + s3i);
    st(f2, g0r - s3r, g0i - s3i);
    st(f1, s5r + s4i, s5i - s4r);
    st(f3, s5r - s4i, s5i + s4r);
}

// A radix-4 butterfly whose twiddles are all (MAX, 0): their products are the identity
// for the values fixdiv leaves (|a| <= 2**13).
static inline __attribute__((always_inline)) void bfly4_unit(int16_t *f0, uint32_t q) {
    int16_t *f1 = f0 + q, *f2 = f1 + q, *f3 = f2 + q;
    uint32_t v;
    v = ldw(f1);
    int32_t s0r = fix4(RE(v)), s0i = fix4(IM(v));
    v = ldw(f3);
    int32_t s2r = fix4(RE(v)), s2i = fix4(IM(v));
    int32_t s3r = s0r + s2r, s3i = s0i + s2i;
    int32_t s4r = s0r - s2r, s4i = s0i - s2i;
    v = ldw(f2);
    int32_t s1r = fix4(RE(v)), s1i = fix4(IM(v));
    v = ldw(f0);
    int32_t a0r = fix4(RE(v)), a0i = fix4(IM(v));
    int32_t g0r = a0r + s1r, g0i = a0i + s1i;
    int32_t s5r = a0r - s1r, s5i = a0i - s1i;
    st(f0, g0r + s3r, g0i + s3i);
    st(f2, g0r - s3r, g0i - s3i);
    st(f1, s5r + s4i, s5i - s4r);
    st(f3, s5r - s4i, s5i + s4r);
}

static inline __attribute__((always_inline)) void bfly2(int16_t *f0, uint32_t q, uint32_t w) {
    int16_t *f1 = f0 + q;
    uint32_t v = ldw(f1);
    int32_t br = fix2(RE(v)), bi = fix2(IM(v));
    int32_t tr = rnd15(br * RE(w) - bi * IM(w));
    int32_t ti = rnd15(br * IM(w) + bi * RE(w));
    v = ldw(f0);
    int32_t ar = fix2(RE(v)), ai = fix2(IM(v));
    st(f1, ar - tr, ai - ti);
    st(f0, ar + tr, ai + ti);
}

static void stages(const es_rfft_t *f, int16_t *buf, const uint32_t *tw, int pre) {
    const uint32_t n = f->n;
    int32_t s = (int32_t)f->stages - 1;
    // The first stage, when it has blocks of 4 values (radix 4, m = 1) and twiddle 0 is
    // (MAX, 0), shifts its inputs as it loads them; otherwise a pass of its own does.
    if ((uint16_t)es_tab_i16(&f->factors, 2 * s) == 4
        && (uint16_t)es_tab_i16(&f->factors, 2 * s + 1) == 1 && f->unit_twiddle0) {
            es_rfft16_first_v6m(buf, buf + 2 * n, 16 + (uint32_t)pre);
        --s;
    } else if (pre) {
        es_rfft16_shift(f, buf, pre);
    }
    for (; s >= 0; --s) {
        const uint32_t p = (uint16_t)es_tab_i16(&f->factors, 2 * s);
        const uint32_t m = (uint16_t)es_tab_i16(&f->factors, 2 * s + 1);
        const uint32_t fstride = n / (p * m);
        const uint32_t q = 2 * m; // int16 values from f0 to f1
        const uint32_t k0 = f->unit_twiddle0;
        int16_t *blk = buf;
        for (uint32_t b = 0; b < fstride; ++b, blk += p * q) {
            uint32_t k = 0;
            if (k0) {
                if (p == 4) {
                    bfly4_unit(blk, q);
                } else {
                    uint32_t v = ldw(blk + q);
                    int32_t tr = fix2(RE(v)), ti = fix2(IM(v));
                    v = ldw(blk);
                    int32_t ar = fix2(RE(v)), ai = fix2(IM(v));
                    st(blk + q, ar - tr, ai - ti);
                    st(blk, ar + tr, ai + ti);
                }
                k = 1;
            }
            if (p == 4) {
                if (k < m) {
                    const es_r4_row_t row = {
                        (const uint8_t *)tw, 4 * k * fstride, 4 * fstride, 2 * q,
                    };
                    es_rfft16_r4_row_v6m(blk + 2 * k, blk + 2 * m, &row);
                }
            } else {
                for (; k < m; ++k) {
                    bfly2(blk + 2 * k, q, tw[k * fstride]);
                }
            }
        }
    }
}

void es_rfft16_run_v6m(const es_rfft_t *f, int16_t *buf, int pre_shift) {
    const uint32_t *tw = (const uint32_t *)(const void *)f->twiddles.p;
    const uint32_t *super = (const uint32_t *)(const void *)f->super_twiddles.p;
    if (((uintptr_t)tw | (uintptr_t)super) & 3) {
        if (pre_shift) {
            es_rfft16_shift(f, buf, pre_shift);
        }
        es_rfft16_run(f, buf);
        return;
    }
    const uint32_t n = f->n;
    stages(f, buf, tw, pre_shift);
    uint32_t v = ldw(buf);
    int32_t dr = fix2(RE(v)), di = fix2(IM(v));
    buf[0] = (int16_t)(dr + di);
    buf[1] = 0;
    buf[2 * n] = (int16_t)(dr - di);
    buf[2 * n + 1] = 0;
    es_rfft16_split_v6m(buf, n, (const uint8_t *)super);
}

#endif // ES_RFFT16_V6M
