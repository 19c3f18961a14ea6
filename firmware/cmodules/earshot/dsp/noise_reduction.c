// TFLM noise reduction (tflm_micro.py step 5): per-channel noise estimate, smoothed with
// Q14 coefficients (even / odd channels), subtracted with a floor.

#include "dsp/dsp.h"

void es_tflm_noise_reduction(es_fe_t *fe, uint32_t *signal) {
    const uint32_t bits = fe->nr_smoothing_bits;
    for (uint32_t i = 0; i < fe->channels; ++i) {
        const uint32_t smoothing = (i & 1) ? fe->nr_odd : fe->nr_even;
        const uint32_t one_minus = (1u << 14) - smoothing;
        const uint32_t sig = signal[i];
        const uint32_t scaled = sig << bits;
        uint32_t estimate = (uint32_t)(((uint64_t)scaled * smoothing
            + (uint64_t)fe->noise[i] * one_minus) >> 14);
        fe->noise[i] = estimate;
        if (estimate > scaled) {
            estimate = scaled;
        }
        const uint32_t floor = (uint32_t)(((uint64_t)sig * fe->nr_min_remaining) >> 14);
        const uint32_t subtracted = (scaled - estimate) >> bits;
        signal[i] = subtracted > floor ? subtracted : floor;
    }
}
