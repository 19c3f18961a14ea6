// The TFLM stages that work channel by channel, after the filterbank: noise reduction,
// PCAN, log scale and the int8 mapping (dsp/noise_reduction.c, pcan.c, log_scale.c are
// the reference and the specification), one inline function each, so that the optimized
// filterbank (filterbank.c) runs them on each channel as it finishes it: no pass over a
// signal array per stage. The 64-bit products of the reference are 32-bit pieces where
// the core has no long multiply, the bit lengths need no library call there (opt_math.h),
// and the division by out_div is a multiplication by its reciprocal, corrected, where the
// core has no divide.
//
// The tables (PCAN gain, log) are read as int16 arrays: any alignment where the core loads
// halfwords from anywhere, else 2-byte aligned (es_tflm_channels_ready checks).
#ifndef EARSHOT_DSP_TFLM_CHANNEL_H
#define EARSHOT_DSP_TFLM_CHANNEL_H

#include "dsp/dsp.h"
#include "dsp/optimized/opt_math.h"

// What the per-channel stages read, gathered once per frame.
typedef struct _es_chan_t {
    uint32_t *noise;
    uint32_t nr_bits, even, odd, min_remaining;
    const uint8_t *gain_lut;
    int gain_top; // last base index of the gain table
    uint32_t snr_shift;
    const uint8_t *log_lut;
    uint32_t log_bits, log_shift;
    uint32_t scale, div;
    int32_t offset;
    #if ES_OPT_NO_MULL
    bool fast;
    uint32_t clip_x, recip;
    #endif
    int8_t *out;
    uint8_t *raw;
} es_chan_t;

static inline int32_t es_chan_i16(const uint8_t *t, uint32_t i) {
    #if EARSHOT_LE_UNALIGNED_OK
    return (int16_t)es_rd_u16(t + 2 * i);
    #else
    return ((const int16_t *)(const void *)t)[i];
    #endif
}

static inline uint32_t es_chan_u16(const uint8_t *t, uint32_t i) {
    #if EARSHOT_LE_UNALIGNED_OK
    return es_rd_u16(t + 2 * i);
    #else
    return ((const uint16_t *)(const void *)t)[i];
    #endif
}

// Whether the tables can be read so (else the frame runs the reference stages).
static inline bool es_chan_ready(const es_fe_t *fe) {
    #if EARSHOT_LE_UNALIGNED_OK
    (void)fe;
    return true;
    #else
    return !(((uintptr_t)fe->pcan_gain_lut.p | (uintptr_t)fe->log_lut.p) & 1);
    #endif
}

static inline void es_chan_setup(es_chan_t *k, es_fe_t *fe, int8_t *out, uint8_t *raw) {
    k->noise = fe->noise;
    k->nr_bits = fe->nr_smoothing_bits;
    k->even = fe->nr_even;
    k->odd = fe->nr_odd;
    k->min_remaining = fe->nr_min_remaining;
    k->gain_lut = fe->pcan_gain_lut.p;
    k->gain_top = (int)fe->pcan_gain_lut.count - 3;
    k->snr_shift = fe->pcan_snr_shift;
    k->log_lut = fe->log_lut.p;
    k->log_bits = fe->log_correction_bits;
    k->log_shift = fe->log_scale_shift;
    k->scale = (uint32_t)fe->out_scale;
    k->div = (uint32_t)fe->out_div;
    k->offset = fe->out_offset;
    #if ES_OPT_NO_MULL
    // No divide instruction: q = (value * scale + div / 2) / div; values x at or above
    // clip_x give q + offset >= 128 (and 127 out). Below it, with up to 256 quotients,
    // x * recip stays in 32 bits and (x * recip) >> 23 is q or q + 1 (recip exceeds
    // 2**23 / div by at most 1).
    const int32_t quotients = 128 - k->offset;
    k->fast = quotients >= 1 && quotients <= 256 && k->div <= 32768;
    k->clip_x = k->fast ? (uint32_t)quotients * k->div : 0;
    k->recip = k->fast ? ((uint32_t)1 << 23) / k->div + 1 : 0;
    #endif
    k->out = out;
    k->raw = raw;
}

// Noise reduction of channel i (smoothing even / odd by channel).
static inline __attribute__((always_inline)) uint32_t es_chan_nr(const es_chan_t *k, uint32_t i, uint32_t sig) {
    const uint32_t smoothing = (i & 1) ? k->odd : k->even;
    const uint32_t scaled = sig << k->nr_bits;
    uint32_t estimate = es_opt_mix_shr14(scaled, smoothing, k->noise[i], (1u << 14) - smoothing);
    k->noise[i] = estimate;
    if (estimate > scaled) {
        estimate = scaled;
    }
    const uint32_t floor = es_opt_mul_shr14(sig, k->min_remaining);
    const uint32_t subtracted = (scaled - estimate) >> k->nr_bits;
    return subtracted > floor ? subtracted : floor;
}

// (sig * gain) >> shift, truncated to 32 bits, for 0 <= gain < 2**15.
static inline uint32_t es_chan_snr(uint32_t sig, uint32_t gain, uint32_t shift) {
    #if ES_OPT_NO_MULL
    uint32_t hi = (sig >> 16) * gain, lo = (sig & 0xFFFF) * gain; // each < 2**31
    if (shift <= 16) {
        return (hi << (16 - shift)) + (lo >> shift);
    }
    return shift < 48 ? (hi + (lo >> 16)) >> (shift - 16) : 0;
    #else
    return (uint32_t)(((uint64_t)sig * gain) >> shift);
    #endif
}

// PCAN of channel i: gain from its noise estimate ("wide dynamic function"), then the
// soft compression. A negative gain (a table entry below zero: TensorFlow multiplies its
// unsigned 32-bit form) takes the 64-bit product.
static inline __attribute__((always_inline)) uint32_t es_chan_pcan(const es_chan_t *k, uint32_t i, uint32_t sig) {
    const uint32_t x = k->noise[i];
    const uint8_t *lut = k->gain_lut;
    int32_t gain;
    if (x <= 2) {
        gain = es_chan_i16(lut, x);
    } else {
        const int interval = es_opt_bit_length(x);
        int base = 4 * interval - 6;
        if (base > k->gain_top) {
            base = k->gain_top;
        }
        const uint32_t frac = (interval < 11 ? x << (11 - interval) : x >> (interval - 11))
            & 0x3FF;
        int32_t r = (es_chan_i16(lut, base + 2) * (int32_t)frac) >> 5;
        r = (int32_t)((uint32_t)r + (uint32_t)(es_chan_i16(lut, base + 1) * 32));
        r = (int32_t)((uint32_t)r * frac);
        r = (r >> 15) + ((r >> 14) & 1);
        gain = (int16_t)(r + es_chan_i16(lut, base));
    }
    const uint32_t snr = gain >= 0 ? es_chan_snr(sig, (uint32_t)gain, k->snr_shift)
        : (uint32_t)(((uint64_t)sig * (uint32_t)gain) >> k->snr_shift);
    if (snr < (2u << 12)) {
        return (snr * snr) >> (2 + 2 * 12 - 6);
    }
    return (snr >> (12 - 6)) - 64;
}

// The log scale of a channel's signal (before the log correction shift).
static inline __attribute__((always_inline)) uint32_t es_chan_log(const es_chan_t *k, uint32_t sig) {
    const uint32_t value = sig << k->log_bits;
    if (value <= 1) {
        return 0;
    }
    const int integer = es_opt_bit_length(value) - 1;
    uint32_t frac = value - ((uint32_t)1 << integer);
    frac = integer < 16 ? frac << (16 - integer) : frac >> (integer - 16);
    const uint32_t base_seg = frac >> (16 - 7);
    const int32_t c0 = (int32_t)es_chan_u16(k->log_lut, base_seg);
    const int32_t c1 = (int32_t)es_chan_u16(k->log_lut, base_seg + 1);
    const int32_t rel_pos = (int32_t)((uint32_t)(c1 - c0) * (frac - (base_seg << 9))) >> 16;
    const uint32_t log2 = ((uint32_t)integer << 16) + frac + (uint32_t)c0 + (uint32_t)rel_pos;
    #if ES_OPT_NO_MULL
    // (45426 * log2 + 32768) >> 16 from the halves of log2
    const uint32_t loge = 45426 * (log2 >> 16) + ((45426 * (log2 & 0xFFFF) + 32768) >> 16);
    // (loge << shift, as uint32, + 32768) >> 16 in 33 bits
    const uint32_t t = loge << k->log_shift;
    const uint32_t scaled = (t >> 16) + (((t & 0xFFFF) + 0x8000) >> 16);
    #else
    const uint32_t loge = (uint32_t)(((uint64_t)45426 * log2 + 32768) >> 16);
    const uint32_t scaled = (uint32_t)(((uint64_t)(uint32_t)(loge << k->log_shift) + 32768) >> 16);
    #endif
    return scaled > 0xFFFF ? 0xFFFF : scaled;
}

// Channel i's raw value and int8 feature to the outputs.
static inline __attribute__((always_inline)) void es_chan_out(const es_chan_t *k, uint32_t i, uint32_t value) {
    if (k->raw) {
        k->raw[2 * i] = (uint8_t)value;
        k->raw[2 * i + 1] = (uint8_t)(value >> 8);
    }
    const uint32_t x = value * k->scale + k->div / 2;
    int32_t q;
    #if ES_OPT_NO_MULL
    if (!k->fast) {
        q = (int32_t)(x / k->div) + k->offset;
    } else if (x >= k->clip_x) {
        q = 127;
    } else {
        uint32_t d = (x * k->recip) >> 23;
        if (d * k->div > x) {
            --d;
        }
        q = (int32_t)d + k->offset;
    }
    #else
    q = (int32_t)(x / k->div) + k->offset;
    #endif
    #if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
    k->out[i] = (int8_t)__builtin_arm_ssat(q, 8);
    #else
    k->out[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    #endif
}

// Channel i from its filterbank value to its outputs.
static inline __attribute__((always_inline)) void es_chan_run(const es_chan_t *k, uint32_t i,
    uint32_t sig) {
    es_chan_out(k, i, es_chan_log(k, es_chan_pcan(k, i, es_chan_nr(k, i, sig))));
}

#endif // EARSHOT_DSP_TFLM_CHANNEL_H
