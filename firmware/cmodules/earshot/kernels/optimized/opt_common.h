// Shared pieces of the optimized kernels: the DSP intrinsics they use, the output stage in
// a form that costs fewer instructions per output, and unaligned word loads.
//
// Every helper here computes exactly what the reference kernels compute (kernels/*.c,
// output_stage.h); tests compare both builds bit for bit.
#ifndef EARSHOT_KERNELS_OPT_COMMON_H
#define EARSHOT_KERNELS_OPT_COMMON_H

#include "earshot_config.h"
#include "kernels/output_stage.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
// ARMv7E-M (Cortex-M4/M7/M33 with DSP): SXTB16 unpacks two int8 lanes to int16, SMLAD
// multiplies two int16 pairs and adds both products.
#define EARSHOT_OPT_DSP (1)
#include <arm_acle.h>

// SXTB16 of the value rotated right by 8: lanes 1 and 3 as two int16.
static inline int32_t es_sxtb16_ror8(uint32_t x) {
    int32_t r;
    __asm__ ("sxtb16 %0, %1, ror #8" : "=r" (r) : "r" (x));
    return r;
}
#else
#define EARSHOT_OPT_DSP (0)
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif
#endif

// ARMv6-M (Cortex-M0/M0+, Thumb-1 only): the paths of opt_m0.h.
#if defined(__ARM_ARCH_6M__) && defined(__thumb__) && !defined(__thumb2__)
#define EARSHOT_OPT_M0 (1)
#else
#define EARSHOT_OPT_M0 (0)
#endif

// Stack scratch of the im2col kernels: int16 entries of each of the two columns.
// Convolutions whose receptive field needs more fall back to the reference kernel.
#define ES_OPT_COLUMN_ENTRIES (256)
// Stack scratch for a DEPTHWISE_CONV_2D filter with one input channel, transposed into a
// CONV_2D filter (bytes).
#define ES_OPT_FILTER_BYTES (1024)

// Four bytes from any address (callers only use this where unaligned loads are allowed).
static inline uint32_t es_opt_rd32(const int8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

// The output zero point and activation range as one clamp of the scaled value: as
// act_min <= act_max lie in [-128, 127] and the zero point in [-128, 127] (model_check.c),
// clamp(clamp(s, -1024, 1024) + zp, min, max) == clamp(s, min - zp, max - zp) + zp.
typedef struct _es_opt_out_t {
    int32_t lo, hi, offset;
} es_opt_out_t;

static inline void es_opt_out_init(const es_requant_t *rq, es_opt_out_t *o) {
    o->lo = rq->act_min - rq->output_offset;
    o->hi = rq->act_max - rq->output_offset;
    o->offset = rq->output_offset;
}

static inline int8_t es_opt_out(const es_opt_out_t *o, int32_t scaled) {
    int32_t v = scaled < o->lo ? o->lo : (scaled > o->hi ? o->hi : scaled);
    return (int8_t)(v + o->offset);
}

// Callers copy the output stage and channel parameters into locals before storing outputs:
// an int8 store may alias anything, so parameters read through pointers would be loaded
// again after every output byte.

// One output channel's FIXED_POINT stage with the shift split into its two directions
// and the rounding mask of the right shift precomputed.
typedef struct _es_opt_ch_t {
    int32_t bias;
    int32_t multiplier;
    int32_t mask;           // (1 << right) - 1
    int32_t round;          // right > 0 ? 1 << (right - 1) : 0
    int32_t adjust;         // right > 0 ? -1 : 0
    int16_t left, right;
} es_opt_ch_t;

static inline void es_opt_load_channel(const es_requant_t *rq, int32_t c, es_opt_ch_t *ch) {
    es_channel_t r;
    es_load_channel(rq, c, &r);
    ch->bias = r.bias;
    ch->multiplier = r.multiplier;
    ch->left = (int16_t)(r.shift > 0 ? r.shift : 0);
    ch->right = (int16_t)(r.shift > 0 ? 0 : -r.shift);
    ch->mask = (int32_t)(((uint32_t)1 << ch->right) - 1u);
    ch->round = ch->right > 0 ? (int32_t)((uint32_t)1 << (ch->right - 1)) : 0;
    ch->adjust = ch->right > 0 ? -1 : 0;
}

// MultiplyByQuantizedMultiplier(acc + bias, multiplier, shift). gemmlowp's
// SaturatingRoundingDoublingHighMul truncates (ab + nudge) / 2^31 toward zero with a
// sign-dependent nudge; for both signs that equals floor((ab + 2^30) / 2^31), one
// arithmetic shift. The only saturating case is INT32_MIN * INT32_MIN.
// When -2^30 < x < 2^30 (every accumulator of a real model), that is SMMULR(2x, m) =
// floor((2xm + 2^31) / 2^32), and |high| < 2^30 leaves room for RoundingDivideByPOT as one
// shift: floor((high + 2^(e-1) - (high < 0)) / 2^e) rounds halves away from zero exactly as
// its remainder/threshold form (requantize.h) does. Other values take the general path.
static inline int32_t es_opt_scale(int32_t acc, const es_opt_ch_t *ch) {
    const int32_t x = es_wrap_shl(es_wrap_add(acc, ch->bias), ch->left);
    int32_t high;
    if (x > -(1 << 30) && x < (1 << 30)) {
        #if EARSHOT_OPT_DSP
        __asm__ ("smmulr %0, %1, %2" : "=r" (high) : "r" (x * 2), "r" (ch->multiplier));
        #else
        high = (int32_t)(((int64_t)x * ch->multiplier + ((int64_t)1 << 30)) >> 31);
        #endif
        return (high + ch->round + ((high >> 31) & ch->adjust)) >> ch->right;
    }
    if (x == INT32_MIN && ch->multiplier == INT32_MIN) {
        high = INT32_MAX;
    } else {
        high = (int32_t)(((int64_t)x * ch->multiplier + ((int64_t)1 << 30)) >> 31);
    }
    const int32_t mask = ch->mask;
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)high >> 31);
    return (high >> ch->right) + ((high & mask) > threshold);
}

// Output channels per block of the im2col kernel (two int32 accumulators each on the stack).
#if EARSHOT_LE_UNALIGNED_OK
#define ES_OPT_GEMM_CHANNELS (128)
#else
#define ES_OPT_GEMM_CHANNELS (16)
#endif

// Channels of the depthwise kernel's stack accumulators (more: done in chunks).
#if EARSHOT_LE_UNALIGNED_OK
#define ES_OPT_DW_CHANNELS (128)
#else
#define ES_OPT_DW_CHANNELS (32)
#endif

// The lean output stage of the convolution kernels. When every channel's accumulator plus
// bias, shifted left, provably stays inside (-2^30, 2^30) (checked once per operator from
// the receptive field k_len: |filter * (input + offset)| <= 128 * 255), es_opt_scale's
// fast path is all there is: x2 = 2 * ((acc + bias) << left) is acc * scale + bias * scale
// without overflow (one MLA), SMMULR(x2, multiplier) the doubling high multiply, and the
// rounding shift needs no range check. The output zero point joins the rounding constant:
// (h + r) >> e + zp == (h + r + (zp << e)) >> e, and with |h| <= 2^30, e <= 22 nothing
// overflows. Operators that fail the checks use the reference kernel.
typedef struct _es_opt_lean_t {
    int32_t scale;          // 2 << left
    int32_t bias;           // bias * scale
    int32_t multiplier;
    int32_t round;          // (right > 0 ? 1 << (right - 1) : 0) + (zero point << right)
    int32_t adjust;         // right > 0 ? -1 : 0
    int32_t right;
} es_opt_lean_t;

// Channel c's lean parameters; false if its range cannot be proven.
static inline bool es_opt_lean_load(const es_requant_t *rq, int32_t c, int32_t k_len,
    es_opt_lean_t *q) {
    es_channel_t r;
    es_load_channel(rq, c, &r);
    const int32_t left = r.shift > 0 ? r.shift : 0;
    const int32_t right = r.shift > 0 ? 0 : -r.shift;
    const int64_t bias = r.bias < 0 ? -(int64_t)r.bias : r.bias;
    q->scale = (int32_t)((uint32_t)2 << left);
    q->bias = (int32_t)((uint32_t)r.bias * (uint32_t)q->scale);
    q->multiplier = r.multiplier;
    q->round = (int32_t)((right > 0 ? (uint32_t)1 << (right - 1) : 0)
        + ((uint32_t)rq->output_offset << (right & 31)));
    q->adjust = right > 0 ? -1 : 0;
    q->right = right;
    return right <= 22
           && ((bias + (int64_t)k_len * (128 * 255)) << left) < ((int64_t)1 << 30);
}

// The lean parameters of up to ES_OPT_TABLE_CHANNELS channels, decoded once per operator
// into a stack table; channels past the table are decoded where they are used.
// (Parts that cannot load unaligned words are the small Cortex-M0 ones: a short table.)
#if EARSHOT_LE_UNALIGNED_OK
#define ES_OPT_TABLE_CHANNELS (128)
#else
#define ES_OPT_TABLE_CHANNELS (16)
#endif

typedef struct _es_opt_table_t {
    int32_t count;   // channels held
    int32_t k_len;
    es_opt_lean_t ch[ES_OPT_TABLE_CHANNELS];
} es_opt_table_t;

// Fills the table; false if some channel's range cannot be proven.
static inline bool es_opt_table_init(const es_requant_t *rq, int32_t channels, int32_t k_len,
    es_opt_table_t *t) {
    t->count = channels < ES_OPT_TABLE_CHANNELS ? channels : ES_OPT_TABLE_CHANNELS;
    t->k_len = k_len;
    for (int32_t c = 0; c < channels; ++c) {
        es_opt_lean_t spare;
        if (!es_opt_lean_load(rq, c, k_len, c < t->count ? &t->ch[c] : &spare)) {
            return false;
        }
    }
    return true;
}

// Whether every channel's range can be proven (without a table).
static inline bool es_opt_lean_check(const es_requant_t *rq, int32_t channels, int32_t k_len) {
    for (int32_t c = 0; c < channels; ++c) {
        es_opt_lean_t q;
        if (!es_opt_lean_load(rq, c, k_len, &q)) {
            return false;
        }
    }
    return true;
}

// The parameters of channel c: from the table, or decoded into *spare.
static inline const es_opt_lean_t *es_opt_table_get(const es_requant_t *rq,
    const es_opt_table_t *t, int32_t c, es_opt_lean_t *spare) {
    if (c < t->count) {
        return &t->ch[c];
    }
    es_opt_lean_load(rq, c, t->k_len, spare);
    return spare;
}

// acc -> the scaled value plus the output zero point, with channel q's parameters.
static inline __attribute__((always_inline)) int32_t es_opt_lean_scale(int32_t acc, const es_opt_lean_t *q) {
    const int32_t x2 = (int32_t)((uint32_t)acc * (uint32_t)q->scale + (uint32_t)q->bias);
    int32_t high;
    #if EARSHOT_OPT_DSP
    __asm__ ("smmulr %0, %1, %2" : "=r" (high) : "r" (x2), "r" (q->multiplier));
    #else
    // The rounding half carries into the high word exactly when the low word's top bit is set.
    const int64_t prod = (int64_t)x2 * q->multiplier;
    high = (int32_t)(prod >> 32) + (int32_t)((uint32_t)prod >> 31);
    #endif
    return (high + q->round + ((high >> 31) & q->adjust)) >> q->right;
}

// The activation range [lo, hi], also as four bytes each.
typedef struct _es_opt_range_t {
    int32_t lo, hi;
    uint32_t lo4, hi4;
} es_opt_range_t;

static inline void es_opt_range_init(const es_requant_t *rq, es_opt_range_t *r) {
    r->lo = rq->act_min;
    r->hi = rq->act_max;
    r->lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u;
    r->hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
}

static inline __attribute__((always_inline)) int8_t es_opt_lean_out(int32_t acc,
    const es_opt_lean_t *q, const es_opt_range_t *r) {
    int32_t v = es_opt_lean_scale(acc, q);
    #if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
    v = __ssat(v, 8);
    #endif
    v = v < r->lo ? r->lo : v;
    return (int8_t)(v > r->hi ? r->hi : v);
}

// Four outputs of channels q[0..3] stored at out: saturated to int8 one by one, then clamped
// to the activation range four bytes at a time (SSUB8 sets a lane's GE flag where the
// difference is not negative, SEL picks by it).
static inline __attribute__((always_inline)) void es_opt_lean_out4(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
    const es_opt_lean_t *q, const es_opt_range_t *r, int8_t *out) {
    #if EARSHOT_OPT_DSP
    const int32_t v0 = __ssat(es_opt_lean_scale(a0, &q[0]), 8);
    const int32_t v1 = __ssat(es_opt_lean_scale(a1, &q[1]), 8);
    const int32_t v2 = __ssat(es_opt_lean_scale(a2, &q[2]), 8);
    const int32_t v3 = __ssat(es_opt_lean_scale(a3, &q[3]), 8);
    const uint32_t t02 = ((uint32_t)v0 & 0xffffu) | ((uint32_t)v2 << 16);
    const uint32_t t13 = ((uint32_t)v1 & 0xffffu) | ((uint32_t)v3 << 16);
    uint32_t w = (t02 & 0x00ff00ffu) | ((t13 & 0x00ff00ffu) << 8);
    uint32_t d;
    __asm__ ("ssub8 %1, %0, %2\n"
        "sel %0, %0, %2\n"
        "ssub8 %1, %3, %0\n"
        "sel %0, %0, %3\n"
        : "+r" (w), "=&r" (d) : "r" (r->lo4), "r" (r->hi4) : "cc");
    memcpy(out, &w, sizeof(w));
    #else
    out[0] = es_opt_lean_out(a0, &q[0], r);
    out[1] = es_opt_lean_out(a1, &q[1], r);
    out[2] = es_opt_lean_out(a2, &q[2], r);
    out[3] = es_opt_lean_out(a3, &q[3], r);
    #endif
}

#endif // EARSHOT_KERNELS_OPT_COMMON_H
