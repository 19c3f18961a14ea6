// TFLM per-channel amplitude normalization (dsp/pcan.c is the reference and the
// specification), with a bit length and the SNR product that need no library call on
// ARMv6-M (opt_math.h). A negative gain (a table entry below zero: TensorFlow multiplies
// its unsigned 32-bit form) takes the reference's 64-bit product.

#include "dsp/dsp.h"
#include "dsp/optimized/opt_math.h"

#if ES_TFLM_STAGES_OPT

EARSHOT_OPT_SPEED

// Entry i of the gain table (int16; any alignment on cores that load halfwords from
// anywhere, else 2-byte aligned: es_tflm_pcan_opt checks).
static inline int32_t entry(const uint8_t *lut, uint32_t i) {
    #if EARSHOT_LE_UNALIGNED_OK
    return (int16_t)es_rd_u16(lut + 2 * i);
    #else
    return ((const int16_t *)(const void *)lut)[i];
    #endif
}

static inline int32_t wide_dynamic_function(uint32_t x, const uint8_t *lut, int top) {
    if (x <= 2) {
        return entry(lut, x);
    }
    const int interval = es_opt_bit_length(x);
    int base = 4 * interval - 6;
    if (base > top) {
        base = top;
    }
    const uint32_t frac = (interval < 11 ? x << (11 - interval) : x >> (interval - 11)) & 0x3FF;
    int32_t result = (entry(lut, base + 2) * (int32_t)frac) >> 5;
    result = (int32_t)((uint32_t)result + (uint32_t)(entry(lut, base + 1) * 32));
    result = (int32_t)((uint32_t)result * frac);
    result = (result >> 15) + ((result >> 14) & 1);
    return (int16_t)(result + entry(lut, base));
}

// (sig * gain) >> shift, truncated to 32 bits, for 0 <= gain < 2**15.
static inline uint32_t snr_of(uint32_t sig, uint32_t gain, uint32_t shift) {
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

void es_tflm_pcan_opt(const es_fe_t *fe, uint32_t *signal) {
    const uint8_t *lut = fe->pcan_gain_lut.p;
    #if !EARSHOT_LE_UNALIGNED_OK
    if ((uintptr_t)lut & 1) {
        es_tflm_pcan(fe, signal);
        return;
    }
    #endif
    const int top = (int)fe->pcan_gain_lut.count - 3;
    const uint32_t shift = fe->pcan_snr_shift;
    for (uint32_t i = 0; i < fe->channels; ++i) {
        const int32_t gain = wide_dynamic_function(fe->noise[i], lut, top);
        const uint32_t snr = gain >= 0 ? snr_of(signal[i], (uint32_t)gain, shift)
            : (uint32_t)(((uint64_t)signal[i] * (uint32_t)gain) >> shift);
        if (snr < (2u << 12)) {
            signal[i] = (snr * snr) >> (2 + 2 * 12 - 6);
        } else {
            signal[i] = (snr >> (12 - 6)) - 64;
        }
    }
}

#endif // ES_TFLM_STAGES_OPT
