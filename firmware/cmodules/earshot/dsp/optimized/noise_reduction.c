// TFLM noise reduction (dsp/noise_reduction.c is the reference and the specification),
// two channels (even, odd) per step, with its 64-bit products in 32-bit pieces where the
// core has no long multiply (opt_math.h).

#include "dsp/dsp.h"
#include "dsp/optimized/opt_math.h"

#if ES_TFLM_STAGES_OPT

EARSHOT_OPT_SPEED

static inline __attribute__((always_inline)) uint32_t channel(uint32_t sig, uint32_t *noise,
    uint32_t smoothing, uint32_t bits, uint32_t min_remaining) {
    const uint32_t scaled = sig << bits;
    uint32_t estimate = es_opt_mix_shr14(scaled, smoothing, *noise, (1u << 14) - smoothing);
    *noise = estimate;
    if (estimate > scaled) {
        estimate = scaled;
    }
    const uint32_t floor = es_opt_mul_shr14(sig, min_remaining);
    const uint32_t subtracted = (scaled - estimate) >> bits;
    return subtracted > floor ? subtracted : floor;
}

void es_tflm_noise_reduction_opt(es_fe_t *fe, uint32_t *signal) {
    const uint32_t bits = fe->nr_smoothing_bits, even = fe->nr_even, odd = fe->nr_odd;
    const uint32_t min_remaining = fe->nr_min_remaining;
    uint32_t *noise = fe->noise;
    const uint32_t channels = fe->channels;
    uint32_t i = 0;
    for (; i + 2 <= channels; i += 2) {
        signal[i] = channel(signal[i], noise + i, even, bits, min_remaining);
        signal[i + 1] = channel(signal[i + 1], noise + i + 1, odd, bits, min_remaining);
    }
    if (i < channels) {
        signal[i] = channel(signal[i], noise + i, even, bits, min_remaining);
    }
}

#endif // ES_TFLM_STAGES_OPT
