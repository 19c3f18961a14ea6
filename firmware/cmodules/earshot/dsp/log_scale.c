// TFLM log scale (tflm_micro.py step 7): integer natural log via a Q16 log2 with a
// 128-segment correction LUT, times ln 2 (45426 / 2**16), scaled by 2**shift / 2**16;
// then the model's int8 input: clip(((raw * out_scale + out_div / 2) / out_div) + out_offset).

#include "dsp/dsp.h"

uint32_t es_tflm_log_scale(const es_fe_t *fe, uint32_t value) {
    if (value <= 1) {
        return 0;
    }
    const int integer = es_bit_length32(value) - 1;
    uint32_t frac = value - ((uint32_t)1 << integer);
    frac = integer < 16 ? frac << (16 - integer) : frac >> (integer - 16);
    const uint32_t base_seg = frac >> (16 - 7);
    const int32_t c0 = es_tab_u16(&fe->log_lut, base_seg);
    const int32_t c1 = es_tab_u16(&fe->log_lut, base_seg + 1);
    const int32_t seg_unit = (1 << 16) >> 7;
    const int32_t rel_pos = (int32_t)((uint32_t)(c1 - c0)
        * (uint32_t)((int32_t)frac - seg_unit * (int32_t)base_seg)) >> 16;
    const uint32_t fraction = frac + (uint32_t)c0 + (uint32_t)rel_pos;
    const uint32_t log2 = ((uint32_t)integer << 16) + fraction;
    const uint32_t loge = (uint32_t)(((uint64_t)45426 * log2 + 32768) >> 16);
    const uint64_t scaled = ((uint64_t)(uint32_t)(loge << fe->log_scale_shift) + 32768) >> 16;
    return scaled > 0xFFFF ? 0xFFFF : (uint32_t)scaled;
}

void es_tflm_log_out(const es_fe_t *fe, const uint32_t *signal, int8_t *out, uint8_t *raw) {
    const uint32_t scale = (uint32_t)fe->out_scale, div = (uint32_t)fe->out_div;
    for (uint32_t i = 0; i < fe->channels; ++i) {
        uint32_t value = es_tflm_log_scale(fe, signal[i] << fe->log_correction_bits);
        if (raw) {
            raw[2 * i] = (uint8_t)value;
            raw[2 * i + 1] = (uint8_t)(value >> 8);
        }
        int32_t q = (int32_t)((value * scale + div / 2) / div) + fe->out_offset;
        out[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
}
