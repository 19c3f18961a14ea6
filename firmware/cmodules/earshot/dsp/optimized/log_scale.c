// TFLM log scale (dsp/log_scale.c is the reference and the specification) and the int8
// mapping of the frame (es_tflm_frame's last step), for all channels at once: 32-bit
// pieces instead of 64-bit products, no library bit length on ARMv6-M (opt_math.h), and
// the division by out_div as a multiplication by its reciprocal, corrected (one division
// per frame).

#include "dsp/dsp.h"
#include "dsp/optimized/opt_math.h"

#if ES_TFLM_STAGES_OPT

EARSHOT_OPT_SPEED

static inline uint32_t lut_entry(const uint8_t *lut, uint32_t i) {
    #if EARSHOT_LE_UNALIGNED_OK
    return es_rd_u16(lut + 2 * i);
    #else
    return ((const uint16_t *)(const void *)lut)[i];
    #endif
}

static inline uint32_t log_scale(uint32_t value, const uint8_t *lut, uint32_t scale_shift) {
    if (value <= 1) {
        return 0;
    }
    const int integer = es_opt_bit_length(value) - 1;
    uint32_t frac = value - ((uint32_t)1 << integer);
    frac = integer < 16 ? frac << (16 - integer) : frac >> (integer - 16);
    const uint32_t base_seg = frac >> (16 - 7);
    const int32_t c0 = (int32_t)lut_entry(lut, base_seg);
    const int32_t c1 = (int32_t)lut_entry(lut, base_seg + 1);
    const int32_t rel_pos = (int32_t)((uint32_t)(c1 - c0) * (frac - (base_seg << 9))) >> 16;
    const uint32_t log2 = ((uint32_t)integer << 16) + frac + (uint32_t)c0 + (uint32_t)rel_pos;
    #if ES_OPT_NO_MULL
    // (45426 * log2 + 32768) >> 16 from the halves of log2
    const uint32_t loge = 45426 * (log2 >> 16) + ((45426 * (log2 & 0xFFFF) + 32768) >> 16);
    // (loge << shift, as uint32, + 32768) >> 16 in 33 bits
    const uint32_t t = loge << scale_shift;
    const uint32_t scaled = (t >> 16) + (((t & 0xFFFF) + 0x8000) >> 16);
    #else
    const uint32_t loge = (uint32_t)(((uint64_t)45426 * log2 + 32768) >> 16);
    const uint32_t scaled = (uint32_t)(((uint64_t)(uint32_t)(loge << scale_shift) + 32768) >> 16);
    #endif
    return scaled > 0xFFFF ? 0xFFFF : scaled;
}

void es_tflm_log_out_opt(const es_fe_t *fe, const uint32_t *signal, int8_t *out,
    uint8_t *raw) {
    const uint8_t *lut = fe->log_lut.p;
    #if !EARSHOT_LE_UNALIGNED_OK
    if ((uintptr_t)lut & 1) {
        es_tflm_log_out(fe, signal, out, raw);
        return;
    }
    #endif
    const uint32_t scale = (uint32_t)fe->out_scale, div = (uint32_t)fe->out_div;
    const int32_t offset = fe->out_offset;
    const uint32_t bits = fe->log_correction_bits, shift = fe->log_scale_shift;
    #if ES_OPT_NO_MULL
    // No divide instruction: q = (value * scale + div / 2) / div; values x at or above
    // clip_x give q + offset >= 128 (and 127 out). Below it, with up to 256 quotients,
    // x * recip stays in 32 bits and (x * recip) >> 23 is q or q + 1 (recip exceeds
    // 2**23 / div by at most 1).
    const int32_t quotients = 128 - offset;
    const bool fast = quotients >= 1 && quotients <= 256 && div <= 32768;
    const uint32_t clip_x = fast ? (uint32_t)quotients * div : 0;
    const uint32_t recip = fast ? ((uint32_t)1 << 23) / div + 1 : 0;
    #endif
    for (uint32_t i = 0; i < fe->channels; ++i) {
        uint32_t value = log_scale(signal[i] << bits, lut, shift);
        if (raw) {
            raw[2 * i] = (uint8_t)value;
            raw[2 * i + 1] = (uint8_t)(value >> 8);
        }
        const uint32_t x = value * scale + div / 2;
        int32_t q;
        #if ES_OPT_NO_MULL
        if (!fast) {
            q = (int32_t)(x / div) + offset;
        } else if (x >= clip_x) {
            q = 127;
        } else {
            uint32_t d = (x * recip) >> 23;
            if (d * div > x) {
                --d;
            }
            q = (int32_t)d + offset;
        }
        #else
        q = (int32_t)(x / div) + offset;
        #endif
        #if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
        out[i] = (int8_t)__builtin_arm_ssat(q, 8);
        #else
        out[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
        #endif
    }
}

#endif // ES_TFLM_STAGES_OPT
