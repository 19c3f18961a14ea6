// Integer helpers of the front ends (host: frontend/fixed_math.py): bit lengths, rounded
// square roots, the table base-2 logarithm. No division, no floating point.

#include "dsp/dsp.h"
#include "dsp/isqrt.h"

EARSHOT_OPT_SPEED

int es_bit_length32(uint32_t v) {
    return v ? 32 - __builtin_clz(v) : 0;
}

int es_bit_length64(uint64_t v) {
    uint32_t hi = (uint32_t)(v >> 32);
    return hi ? 64 - __builtin_clz(hi) : es_bit_length32((uint32_t)v);
}

#if ES_ISQRT32
// Above 2**32: y = floor(sqrt(v >> 2t)) for the shift t that leaves 31 or 32 bits, so
// x = y << t <= R = floor(sqrt(v)) < x + 2**t, and with rem = v - x*x,
// floor(rem / 2x) lies in [R - x, R - x + 2] (2x >= 2**(16 + t) > (R - x + 1)**2 / 2);
// the estimate is brought down to R with exact 64-bit squares.
static uint32_t isqrt64(uint64_t v, uint64_t *rem) {
    if ((v >> 32) == 0) {
        uint32_t r = es_isqrt32((uint32_t)v);
        *rem = (uint32_t)v - r * r;
        return r;
    }
    int t = (es_bit_length64(v) - 31) >> 1;
    uint32_t y = es_isqrt32((uint32_t)(v >> (2 * t)));
    uint64_t rest = v - ((uint64_t)(y * y) << (2 * t));
    uint64_t r = ((uint64_t)y << t) + (uint32_t)(rest >> (t + 1)) / y;
    if (r > 0xFFFFFFFF) {
        r = 0xFFFFFFFF;
    }
    while (r * r > v) {
        --r;
    }
    *rem = v - r * r;
    return (uint32_t)r;
}
#else
// Without a divide (Cortex-M0): digit by digit, two bits of v per step.
static uint32_t isqrt32_rem(uint32_t v, uint32_t *rem) {
    uint32_t res = 0;
    uint32_t bit = v ? (uint32_t)1 << ((es_bit_length32(v) - 1) & ~1) : 0;
    while (bit) {
        if (v >= res + bit) {
            v -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    *rem = v;
    return res;
}

static uint32_t isqrt64(uint64_t v, uint64_t *rem) {
    if ((v >> 32) == 0) {
        uint32_t r32;
        uint32_t res = isqrt32_rem((uint32_t)v, &r32);
        *rem = r32;
        return res;
    }
    // Above 2**32 the root has 17..32 bits. Start from the 32-bit root of the top bits
    // (v >> 2t, t = shift that leaves 30 or 31 significant bits), then go on digit by digit
    // for the remaining t result bits with the exact remainder.
    int t = (es_bit_length64(v) - 31) >> 1;
    uint32_t rem_top;
    uint64_t res = isqrt32_rem((uint32_t)(v >> (2 * t)), &rem_top);
    uint64_t r = rem_top;
    for (int i = t - 1; i >= 0; --i) {
        // Bring down the next two bits of v: r = 4r + bits; candidate (4 res + 1).
        r = (r << 2) | ((v >> (2 * i)) & 3);
        uint64_t cand = (res << 2) | 1;
        res <<= 1;
        if (r >= cand) {
            r -= cand;
            res |= 1;
        }
    }
    *rem = r;
    return (uint32_t)res;
}
#endif

uint32_t es_isqrt_round64(uint64_t v) {
    uint64_t rem;
    uint32_t r = isqrt64(v, &rem);
    return r + (rem > r);
}

uint32_t es_tflm_sqrt64(uint64_t v) {
    uint64_t rem;
    uint32_t r = isqrt64(v, &rem);
    if ((v >> 32) == 0) {
        return (rem > r && r != 0xFFFF) ? r + 1 : r;
    }
    return (rem > r && r != 0xFFFFFFFF) ? r + 1 : r;
}

int64_t es_log2_q16(uint64_t v, const es_tab_t *lut) {
    if (v == 0) {
        return -((int64_t)1 << 40);
    }
    int e = es_bit_length64(v) - 1;
    uint32_t norm = e >= 16 ? (uint32_t)(v >> (e - 16)) : (uint32_t)v << (16 - e);
    uint32_t f16 = norm - 65536;
    uint32_t idx = f16 >> 8;
    int32_t rem = (int32_t)(f16 & 255);
    int64_t c0 = es_tab_i32(lut, idx);
    int64_t c1 = es_tab_i32(lut, idx + 1);
    int64_t frac = c0 + (((c1 - c0) * rem) >> 8);
    // A LUT of log2 fractions (Q16, in [0, 65536]) interpolates inside that range; one read
    // in place from a model buffer that changed since it was made may hold anything: keep
    // the fraction there, so that what callers compute from it cannot overflow.
    frac = frac < 0 ? 0 : frac > 65536 ? 65536 : frac;
    return ((int64_t)e << 16) + frac;
}
