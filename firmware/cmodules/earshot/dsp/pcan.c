// TFLM per-channel amplitude normalization (tflm_micro.py step 6): a gain from the noise
// estimate (piecewise-quadratic LUT, "wide dynamic function"), then a soft compression.

#include "dsp/dsp.h"

static int16_t wide_dynamic_function(uint32_t x, const es_tab_t *lut) {
    if (x <= 2) {
        return es_tab_i16(lut, x);
    }
    const int interval = es_bit_length32(x);
    int base = 4 * interval - 6;
    if (base > (int)lut->count - 3) {
        base = (int)lut->count - 3;
    }
    const uint32_t frac = (interval < 11 ? x << (11 - interval) : x >> (interval - 11)) & 0x3FF;
    const int32_t y0 = es_tab_i16(lut, base);
    const int32_t a1 = es_tab_i16(lut, base + 1);
    const int32_t a2 = es_tab_i16(lut, base + 2);
    int32_t result = (a2 * (int32_t)frac) >> 5;
    result = (int32_t)((uint32_t)result + (uint32_t)(a1 * 32));
    result = (int32_t)((uint32_t)result * frac);
    // (result + 2**14) >> 15 without overflowing int32.
    result = (result >> 15) + ((result >> 14) & 1);
    return (int16_t)(result + y0);
}

void es_tflm_pcan(const es_fe_t *fe, uint32_t *signal) {
    for (uint32_t i = 0; i < fe->channels; ++i) {
        const int16_t gain = wide_dynamic_function(fe->noise[i], &fe->pcan_gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)signal[i] * (uint32_t)(int32_t)gain)
            >> fe->pcan_snr_shift);
        if (snr < (2u << 12)) {
            signal[i] = (uint32_t)(((uint64_t)snr * snr) >> (2 + 2 * 12 - 6));
        } else {
            signal[i] = (snr >> (12 - 6)) - 64;
        }
    }
}
