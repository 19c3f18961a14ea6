// The fixed-point real FFT of every front end, with KISS FFT's integer semantics
// (host_tools/earshot_host/frontend/kissfft_fixed.py is the specification).
//
// Q = 15 (int16 samples, int32 products) or 31 (int32 samples, int64 products);
// MAX = 2**Q - 1; every result is stored back in the sample type (wrapping):
//   sround(x)    = (x + 2**(Q-1)) >> Q
//   fixdiv(v, p) = sround(v * (MAX / p))
//   cmul(a, w)   = (sround(a.r w.r - a.i w.i), sround(a.r w.i + a.i w.r))
// The complex FFT of n = N/2 points runs decimation-in-time stages in place on the
// permuted input (the caller loads it permuted); then the real split gives X[0..n].
// Twiddles are checked at creation to lie in [-MAX, MAX], so no product sum overflows.
//
// The two widths are the same code, instantiated twice through the macros below.

#include "dsp/dsp.h"

// ---- 16-bit
static inline int16_t sround16(int32_t x) {
    return (int16_t)((x + (1 << 14)) >> 15);
}

static inline int16_t fixdiv16(int16_t v, int32_t p_max) {
    return sround16((int32_t)v * p_max);
}

static inline void tw16(const es_tab_t *t, uint32_t i, int32_t *wr, int32_t *wi) {
    *wr = es_tab_i16(t, 2 * i);
    *wi = es_tab_i16(t, 2 * i + 1);
}

#define W16(x) ((int16_t)(x))

static void stages16(const es_rfft_t *f, int16_t *buf) {
    const uint32_t n = f->n;
    for (int32_t s = (int32_t)f->stages - 1; s >= 0; --s) {
        const uint32_t p = (uint16_t)es_tab_i16(&f->factors, 2 * s);
        const uint32_t m = (uint16_t)es_tab_i16(&f->factors, 2 * s + 1);
        const uint32_t fstride = n / (p * m);
        for (uint32_t b = 0; b < fstride; ++b) {
            int16_t *blk = buf + 2 * b * p * m;
            for (uint32_t k = 0; k < m; ++k) {
                int16_t *f0 = blk + 2 * k;
                int16_t *f1 = f0 + 2 * m;
                int32_t w1r, w1i;
                tw16(&f->twiddles, k * fstride, &w1r, &w1i);
                if (p == 2) {
                    int16_t ar = fixdiv16(f0[0], 32767 / 2), ai = fixdiv16(f0[1], 32767 / 2);
                    int16_t br = fixdiv16(f1[0], 32767 / 2), bi = fixdiv16(f1[1], 32767 / 2);
                    int16_t tr = sround16((int32_t)br * w1r - (int32_t)bi * w1i);
                    int16_t ti = sround16((int32_t)br * w1i + (int32_t)bi * w1r);
                    f1[0] = W16(ar - tr);
                    f1[1] = W16(ai - ti);
                    f0[0] = W16(ar + tr);
                    f0[1] = W16(ai + ti);
                } else {
                    int16_t *f2 = f1 + 2 * m;
                    int16_t *f3 = f2 + 2 * m;
                    int32_t w2r, w2i, w3r, w3i;
                    tw16(&f->twiddles, 2 * k * fstride, &w2r, &w2i);
                    tw16(&f->twiddles, 3 * k * fstride, &w3r, &w3i);
                    int16_t a0r = fixdiv16(f0[0], 32767 / 4), a0i = fixdiv16(f0[1], 32767 / 4);
                    int16_t a1r = fixdiv16(f1[0], 32767 / 4), a1i = fixdiv16(f1[1], 32767 / 4);
                    int16_t a2r = fixdiv16(f2[0], 32767 / 4), a2i = fixdiv16(f2[1], 32767 / 4);
                    int16_t a3r = fixdiv16(f3[0], 32767 / 4), a3i = fixdiv16(f3[1], 32767 / 4);
                    int16_t s0r = sround16((int32_t)a1r * w1r - (int32_t)a1i * w1i);
                    int16_t s0i = sround16((int32_t)a1r * w1i + (int32_t)a1i * w1r);
                    int16_t s1r = sround16((int32_t)a2r * w2r - (int32_t)a2i * w2i);
                    int16_t s1i = sround16((int32_t)a2r * w2i + (int32_t)a2i * w2r);
                    int16_t s2r = sround16((int32_t)a3r * w3r - (int32_t)a3i * w3i);
                    int16_t s2i = sround16((int32_t)a3r * w3i + (int32_t)a3i * w3r);
                    int16_t s5r = W16(a0r - s1r), s5i = W16(a0i - s1i);
                    int16_t g0r = W16(a0r + s1r), g0i = W16(a0i + s1i);
                    int16_t s3r = W16(s0r + s2r), s3i = W16(s0i + s2i);
                    int16_t s4r = W16(s0r - s2r), s4i = W16(s0i - s2i);
                    f2[0] = W16(g0r - s3r);
                    f2[1] = W16(g0i - s3i);
                    f0[0] = W16(g0r + s3r);
                    f0[1] = W16(g0i + s3i);
                    f1[0] = W16(s5r + s4i);
                    f1[1] = W16(s5i - s4r);
                    f3[0] = W16(s5r - s4i);
                    f3[1] = W16(s5i + s4r);
                }
            }
        }
    }
}

void es_rfft16_shift(const es_rfft_t *f, int16_t *buf, int s) {
    for (uint32_t i = 0; i < 2 * f->n; ++i) {
        buf[i] = (int16_t)((uint32_t)buf[i] << s);
    }
}

#if !ES_RFFT16_SIMD && !ES_RFFT16_V6M
void es_rfft16_run_pre(const es_rfft_t *f, int16_t *buf, int pre_shift) {
    if (pre_shift) {
        es_rfft16_shift(f, buf, pre_shift);
    }
    es_rfft16_run(f, buf);
}
#endif

void es_rfft16_run(const es_rfft_t *f, int16_t *buf) {
    const uint32_t n = f->n;
    stages16(f, buf);
    int16_t dr = fixdiv16(buf[0], 32767 / 2), di = fixdiv16(buf[1], 32767 / 2);
    buf[0] = W16(dr + di);
    buf[1] = 0;
    buf[2 * n] = W16(dr - di);
    buf[2 * n + 1] = 0;
    for (uint32_t k = 1; k <= n / 2; ++k) {
        int16_t *zk = buf + 2 * k;
        int16_t *zn = buf + 2 * (n - k);
        int16_t ar = fixdiv16(zk[0], 32767 / 2), ai = fixdiv16(zk[1], 32767 / 2);
        int16_t br = fixdiv16(zn[0], 32767 / 2), bi = fixdiv16(W16(-zn[1]), 32767 / 2);
        int16_t f1r = W16(ar + br), f1i = W16(ai + bi);
        int16_t f2r = W16(ar - br), f2i = W16(ai - bi);
        int32_t wr, wi;
        tw16(&f->super_twiddles, k - 1, &wr, &wi);
        int16_t tr = sround16((int32_t)f2r * wr - (int32_t)f2i * wi);
        int16_t ti = sround16((int32_t)f2r * wi + (int32_t)f2i * wr);
        zk[0] = W16(((int32_t)f1r + tr) >> 1);
        zk[1] = W16(((int32_t)f1i + ti) >> 1);
        zn[0] = W16(((int32_t)f1r - tr) >> 1);
        zn[1] = W16(((int32_t)ti - f1i) >> 1);
    }
}

// ---- 32-bit
#define MAX32 (0x7FFFFFFF)

static inline int32_t sround32(int64_t x) {
    return (int32_t)((x + ((int64_t)1 << 30)) >> 31);
}

static inline int32_t fixdiv32(int32_t v, int32_t p_max) {
    return sround32((int64_t)v * p_max);
}

// Wrapping int32 add / sub (the sample type's arithmetic).
static inline int32_t add32(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
static inline int32_t sub32(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline void tw32(const es_tab_t *t, uint32_t i, int32_t *wr, int32_t *wi) {
    *wr = es_tab_i32(t, 2 * i);
    *wi = es_tab_i32(t, 2 * i + 1);
}

static inline void cmul32(int32_t ar, int32_t ai, int32_t wr, int32_t wi, int32_t *r,
    int32_t *i) {
    *r = sround32((int64_t)ar * wr - (int64_t)ai * wi);
    *i = sround32((int64_t)ar * wi + (int64_t)ai * wr);
}

static void stages32(const es_rfft_t *f, int32_t *buf) {
    const uint32_t n = f->n;
    for (int32_t s = (int32_t)f->stages - 1; s >= 0; --s) {
        const uint32_t p = (uint16_t)es_tab_i16(&f->factors, 2 * s);
        const uint32_t m = (uint16_t)es_tab_i16(&f->factors, 2 * s + 1);
        const uint32_t fstride = n / (p * m);
        for (uint32_t b = 0; b < fstride; ++b) {
            int32_t *blk = buf + 2 * b * p * m;
            for (uint32_t k = 0; k < m; ++k) {
                int32_t *f0 = blk + 2 * k;
                int32_t *f1 = f0 + 2 * m;
                int32_t w1r, w1i;
                tw32(&f->twiddles, k * fstride, &w1r, &w1i);
                if (p == 2) {
                    int32_t ar = fixdiv32(f0[0], MAX32 / 2), ai = fixdiv32(f0[1], MAX32 / 2);
                    int32_t br = fixdiv32(f1[0], MAX32 / 2), bi = fixdiv32(f1[1], MAX32 / 2);
                    int32_t tr, ti;
                    cmul32(br, bi, w1r, w1i, &tr, &ti);
                    f1[0] = sub32(ar, tr);
                    f1[1] = sub32(ai, ti);
                    f0[0] = add32(ar, tr);
                    f0[1] = add32(ai, ti);
                } else {
                    int32_t *f2 = f1 + 2 * m;
                    int32_t *f3 = f2 + 2 * m;
                    int32_t w2r, w2i, w3r, w3i;
                    tw32(&f->twiddles, 2 * k * fstride, &w2r, &w2i);
                    tw32(&f->twiddles, 3 * k * fstride, &w3r, &w3i);
                    int32_t a0r = fixdiv32(f0[0], MAX32 / 4), a0i = fixdiv32(f0[1], MAX32 / 4);
                    int32_t a1r = fixdiv32(f1[0], MAX32 / 4), a1i = fixdiv32(f1[1], MAX32 / 4);
                    int32_t a2r = fixdiv32(f2[0], MAX32 / 4), a2i = fixdiv32(f2[1], MAX32 / 4);
                    int32_t a3r = fixdiv32(f3[0], MAX32 / 4), a3i = fixdiv32(f3[1], MAX32 / 4);
                    int32_t s0r, s0i, s1r, s1i, s2r, s2i;
                    cmul32(a1r, a1i, w1r, w1i, &s0r, &s0i);
                    cmul32(a2r, a2i, w2r, w2i, &s1r, &s1i);
                    cmul32(a3r, a3i, w3r, w3i, &s2r, &s2i);
                    int32_t s5r = sub32(a0r, s1r), s5i = sub32(a0i, s1i);
                    int32_t g0r = add32(a0r, s1r), g0i = add32(a0i, s1i);
                    int32_t s3r = add32(s0r, s2r), s3i = add32(s0i, s2i);
                    int32_t s4r = sub32(s0r, s2r), s4i = sub32(s0i, s2i);
                    f2[0] = sub32(g0r, s3r);
                    f2[1] = sub32(g0i, s3i);
                    f0[0] = add32(g0r, s3r);
                    f0[1] = add32(g0i, s3i);
                    f1[0] = add32(s5r, s4i);
                    f1[1] = sub32(s5i, s4r);
                    f3[0] = sub32(s5r, s4i);
                    f3[1] = add32(s5i, s4r);
                }
            }
        }
    }
}

void es_rfft32_run(const es_rfft_t *f, int32_t *buf) {
    stages32(f, buf);
    es_rfft32_real_split(f, buf);
}

void es_rfft32_real_split(const es_rfft_t *f, int32_t *buf) {
    const uint32_t n = f->n;
    int32_t dr = fixdiv32(buf[0], MAX32 / 2), di = fixdiv32(buf[1], MAX32 / 2);
    buf[0] = add32(dr, di);
    buf[1] = 0;
    buf[2 * n] = sub32(dr, di);
    buf[2 * n + 1] = 0;
    for (uint32_t k = 1; k <= n / 2; ++k) {
        int32_t *zk = buf + 2 * k;
        int32_t *zn = buf + 2 * (n - k);
        int32_t ar = fixdiv32(zk[0], MAX32 / 2), ai = fixdiv32(zk[1], MAX32 / 2);
        int32_t br = fixdiv32(zn[0], MAX32 / 2), bi = fixdiv32(sub32(0, zn[1]), MAX32 / 2);
        int32_t f1r = add32(ar, br), f1i = add32(ai, bi);
        int32_t f2r = sub32(ar, br), f2i = sub32(ai, bi);
        int32_t wr, wi, tr, ti;
        tw32(&f->super_twiddles, k - 1, &wr, &wi);
        cmul32(f2r, f2i, wr, wi, &tr, &ti);
        zk[0] = (int32_t)(((int64_t)f1r + tr) >> 1);
        zk[1] = (int32_t)(((int64_t)f1i + ti) >> 1);
        zn[0] = (int32_t)(((int64_t)f1r - tr) >> 1);
        zn[1] = (int32_t)(((int64_t)ti - f1i) >> 1);
    }
}
