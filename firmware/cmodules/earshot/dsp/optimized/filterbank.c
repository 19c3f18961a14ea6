// The TFLM filterbank (dsp/filterbank.c is the reference and the specification), and after
// it, channel by channel, the stages that follow it (tflm_channel.h): the bin energies
// computed where they are used, and a plan made once per front end
// (es_tflm_filterbank_prepare, from es_fe_attach): each accumulation slot's entries cut to
// those that can add anything, i.e. whose bin lies in [fb_start, fb_end) (other energies
// are 0) without trailing (weight, unweight) = (0, 0) pairs.
//
// Sums: TensorFlow adds weight * energy into uint64 with the energy sign-extended, the
// same value modulo 2**64 as the int64 sum of the signed products. Cores with a 32x32->64
// multiply-accumulate add those; ARMv6-M (32-bit products only) splits each energy into
// halves, e = eh * 2**16 + el (el unsigned), and keeps sum(el * w) as uint32 and
// sum(eh * w) as int32: exact when every weight is >= 0 and each slot's weights sum to at
// most 65535 (fb_narrow, checked by the plan; else the 64-bit sums are used).

#include "dsp/dsp.h"
#include "dsp/isqrt.h"
#include "dsp/optimized/tflm_channel.h"

#if ES_TFLM_FILTERBANK_OPT

EARSHOT_OPT_SPEED

#if ES_OPT_NO_MULL
// opt_math.h: bit_length(i) for i = 0..255.
#define L2(n) n, n
#define L4(n) L2(n), L2(n)
#define L8(n) L4(n), L4(n)
#define L16(n) L8(n), L8(n)
#define L32(n) L16(n), L16(n)
#define L64(n) L32(n), L32(n)
#define L128(n) L64(n), L64(n)
const uint8_t es_opt_bit_lengths[256] = {
    0, 1, L2(2), L4(3), L8(4), L16(5), L32(6), L64(7), L128(8),
};
#endif

void es_tflm_filterbank_prepare(es_fe_t *fe) {
    const uint32_t start = fe->fb_start, end = fe->fb_end;
    bool narrow = true;
    for (uint32_t c = 0; c <= fe->channels; ++c) {
        uint32_t f0 = (uint16_t)es_tab_i16(&fe->fb_freq_starts, c);
        uint32_t w0 = (uint16_t)es_tab_i16(&fe->fb_weight_starts, c);
        uint32_t width = (uint16_t)es_tab_i16(&fe->fb_widths, c);
        // Entries j in [lo, hi): bins f0 + j within [start, end).
        uint32_t lo = f0 < start ? start - f0 : 0;
        uint32_t hi = f0 + width > end ? (end > f0 ? end - f0 : 0) : width;
        while (hi > lo && es_tab_i16(&fe->fb_weights, w0 + hi - 1) == 0
               && es_tab_i16(&fe->fb_unweights, w0 + hi - 1) == 0) {
            --hi;
        }
        if (hi < lo) {
            hi = lo;
        }
        int32_t sum_w = 0, sum_u = 0;
        for (uint32_t j = lo; j < hi; ++j) {
            int32_t w = es_tab_i16(&fe->fb_weights, w0 + j);
            int32_t u = es_tab_i16(&fe->fb_unweights, w0 + j);
            if (w < 0 || u < 0) {
                narrow = false;
            }
            sum_w += w < 0 ? -w : w;
            sum_u += u < 0 ? -u : u;
        }
        if (sum_w > 65535 || sum_u > 65535) {
            narrow = false;
        }
        fe->fb_plan[c] = (es_fb_slot_t) {(uint16_t)(f0 + lo), (uint16_t)(w0 + lo), (uint16_t)(hi - lo)};
    }
    fe->fb_narrow = narrow;
}

// Weight j of a table: any alignment where the core loads halfwords from any address,
// else 2-byte aligned (es_tflm_channels_opt checks).
static inline int32_t weight(const int16_t *t, uint32_t j) {
    #if EARSHOT_LE_UNALIGNED_OK
    return (int16_t)es_rd_u16((const uint8_t *)(const void *)t + 2 * j);
    #else
    return t[j];
    #endif
}

// The energy of a bin, re * re + im * im as uint32 bits, for the int64 sums.
static inline int32_t energy(uint32_t v) {
    #if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    return __builtin_arm_smuad((int32_t)v, (int32_t)v); // SMUAD wraps like the uint32 sum
    #else
    int32_t re = (int16_t)v, im = (int32_t)v >> 16;
    return (int32_t)((uint32_t)(re * re) + (uint32_t)(im * im));
    #endif
}

// The sums of consecutive slots in assembly, the C loop of es_tflm_channels_opt below:
// acc = carried + sum(e * w) per slot, carried = sum(e * u) for the next (int64 sums,
// stored as their uint64 values modulo 2**64).
//   ARMv7E-M (filterbank_dsp.S): SMUAD energies, SMLAL sums.
//   ARMv6-M (filterbank_v6m.S), where fb_narrow: each energy (uint32) split into halves,
//   e = eh * 2**16 + el (el = e & 0xFFFF, eh = (int32)e >> 16), with lw += el * w and
//   hw += eh * w in 32 bits (likewise lu, hu); then sum(e * w) = hw * 2**16 + lw exactly,
//   weights being >= 0 with at most 65535 per slot (so |hw| < 2**31 and lw < 2**32).
typedef struct {
    const es_fb_slot_t *plan; // moves on
    uint32_t slots; // counts down
    const uint32_t *bins;
    const uint16_t *w;
    int32_t du; // bytes from a weight to its unweight
    uint64_t *acc; // one per slot; moves on
    uint64_t carried; // the unweighted sum of the slot before
} es_fb_sums_t;

#if defined(__ARM_ARCH_6M__)
void es_fb_sums_v6m(es_fb_sums_t *a);
#define SUMS(fe) ((fe)->fb_narrow ? es_fb_sums_v6m : NULL)
// floor(sqrt(v)) of a 32-bit value (filterbank_v6m.S, in assembly).
uint32_t es_isqrt32_v6m(uint32_t v);

// es_tflm_sqrt64 above 2**32 (and below 2**58) on ARMv6-M: the 32-bit root of the top 31
// or 32 bits, v >> 2t, then t more digits with the exact remainder, which stays below
// 2 root + 1 < 2**30 (as in fixed_math.c's isqrt64, there in 64 bits).
static uint32_t root_high(uint64_t v) {
    const uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
    const int t = (32 + es_opt_bit_length(hi) - 31) >> 1; // 1..16
    if (t > 13) {
        return es_tflm_sqrt64(v);
    }
    uint32_t res = es_isqrt32_v6m((hi << (32 - 2 * t)) | (lo >> (2 * t)));
    uint32_t rem = ((hi << (32 - 2 * t)) | (lo >> (2 * t))) - res * res;
    for (int i = t - 1; i >= 0; --i) {
        rem = (rem << 2) | ((lo >> (2 * i)) & 3);
        const uint32_t cand = (res << 2) | 1;
        res <<= 1;
        if (rem >= cand) {
            rem -= cand;
            res |= 1;
        }
    }
    return rem > res ? res + 1 : res; // res < 2**29: never 0xFFFFFFFF
}
#elif defined(__ARM_ARCH_7EM__)
void es_fb_sums_dsp(es_fb_sums_t *a);
#define SUMS(fe) es_fb_sums_dsp
#endif

// es_tflm_sqrt64 (dsp/fixed_math.c), quicker below 2**32 where the core allows.
static inline uint32_t root(uint64_t v) {
    #if defined(__ARM_ARCH_6M__)
    if ((v >> 32) == 0) {
        uint32_t r = es_isqrt32_v6m((uint32_t)v);
        uint32_t rem = (uint32_t)v - r * r;
        return (rem > r && r != 0xFFFF) ? r + 1 : r;
    }
    return root_high(v);
    #elif ES_ISQRT32
    if ((v >> 32) == 0) {
        uint32_t r = es_isqrt32((uint32_t)v);
        uint32_t rem = (uint32_t)v - r * r;
        return (rem > r && r != 0xFFFF) ? r + 1 : r;
    }
    #endif
    return es_tflm_sqrt64(v);
}

#ifdef SUMS
#define CHUNK (16)

static void sums_then_channels(const es_fe_t *fe, void (*sums)(es_fb_sums_t *),
    const uint32_t *bins, int shift, const es_chan_t *k) {
    const uint8_t *w = fe->fb_weights.p;
    uint64_t acc[CHUNK];
    es_fb_sums_t a = {
        fe->fb_plan, 0, bins, (const uint16_t *)(const void *)w,
        (int32_t)(fe->fb_unweights.p - w), acc, 0,
    };
    const uint32_t slots = fe->channels + 1;
    for (uint32_t c0 = 0; c0 < slots; c0 += CHUNK) {
        uint32_t n = slots - c0 < CHUNK ? slots - c0 : CHUNK;
        a.slots = n;
        a.acc = acc;
        sums(&a);
        for (uint32_t i = c0 ? 0 : 1; i < n; ++i) {
            es_chan_run(k, c0 + i - 1, root(acc[i]) >> shift);
        }
    }
}
#endif

void es_tflm_channels_opt(es_fe_t *fe, const int16_t *spectrum, int shift, int8_t *out,
    uint8_t *raw) {
    const uint32_t *bins = (const uint32_t *)(const void *)spectrum; // (re, im) words
    const int16_t *w = (const int16_t *)(const void *)fe->fb_weights.p;
    const int16_t *u = (const int16_t *)(const void *)fe->fb_unweights.p;
    bool ready = es_chan_ready(fe);
    #if !EARSHOT_LE_UNALIGNED_OK
    ready = ready && !(((uintptr_t)w | (uintptr_t)u) & 1);
    #endif
    if (!ready) {
        // Tables this core cannot read as the stages do (misaligned, not relocated).
        es_tflm_filterbank(fe, spectrum, shift, fe->signal);
        es_tflm_noise_reduction(fe, fe->signal);
        es_tflm_pcan(fe, fe->signal);
        es_tflm_log_out(fe, fe->signal, out, raw);
        return;
    }
    es_chan_t k;
    es_chan_setup(&k, fe, out, raw);
    #ifdef SUMS
    void (*sums)(es_fb_sums_t *) = SUMS(fe);
    if (sums) {
        sums_then_channels(fe, sums, bins, shift, &k);
        return;
    }
    #endif
    uint64_t carried = 0;
    for (uint32_t c = 0; c <= fe->channels; ++c) {
        const es_fb_slot_t *slot = &fe->fb_plan[c];
        const uint32_t *b = bins + slot->bin;
        const int16_t *ws = w + slot->weight, *us = u + slot->weight;
        const uint32_t count = slot->count;
        int64_t sw = 0, su = 0;
        for (uint32_t j = 0; j < count; ++j) {
            int32_t e = energy(b[j]);
            sw += (int64_t)e * weight(ws, j);
            su += (int64_t)e * weight(us, j);
        }
        if (c > 0) {
            es_chan_run(&k, c - 1, root(carried + (uint64_t)sw) >> shift);
        }
        carried = (uint64_t)su;
    }
}

#endif // ES_TFLM_FILTERBANK_OPT
