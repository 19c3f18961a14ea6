// TFLM filterbank (tflm_micro.py steps 3-4): bin energies, triangular weights accumulated
// in 41 slots (channel c's value is slot c + 1 plus the unweighted remainder of slot c),
// rounded square root, the window stage's shift undone.

#include "dsp/dsp.h"

EARSHOT_OPT_SPEED

// spectrum: X[0..n] as (re, im) int16 pairs; it is overwritten with the energies.
void es_tflm_filterbank(const es_fe_t *fe, const int16_t *spectrum, int shift, uint32_t *out) {
    // Energies re*re + im*im of the bins [fb_start, fb_end) as uint32, kept as int32 and
    // used sign-extended (as TensorFlow does); other bins are 0 (they meet zero weights).
    // Each energy replaces its own (re, im) pair: same 4 bytes.
    int32_t *energy = (int32_t *)(void *)fe->work;
    const uint32_t bins = fe->fft.n + 1, start = fe->fb_start, end = fe->fb_end;
    for (uint32_t k = 0; k < start; ++k) {
        energy[k] = 0;
    }
    for (uint32_t k = start; k < end; ++k) {
        int32_t re = spectrum[2 * k], im = spectrum[2 * k + 1];
        energy[k] = (int32_t)((uint32_t)(re * re) + (uint32_t)(im * im));
    }
    for (uint32_t k = end; k < bins; ++k) {
        energy[k] = 0;
    }
    // uint64 accumulators: weight * energy as a signed 64-bit product is the same value
    // modulo 2**64 as TensorFlow's uint64 product of the sign-extended operands.
    uint64_t carried = 0;
    for (uint32_t c = 0; c <= fe->channels; ++c) {
        uint32_t f0 = (uint16_t)es_tab_i16(&fe->fb_freq_starts, c);
        uint32_t w0 = (uint16_t)es_tab_i16(&fe->fb_weight_starts, c);
        uint32_t width = (uint16_t)es_tab_i16(&fe->fb_widths, c);
        uint64_t acc_w = carried, acc_u = 0;
        for (uint32_t j = 0; j < width; ++j) {
            int64_t e = energy[f0 + j];
            acc_w += (uint64_t)(e * es_tab_i16(&fe->fb_weights, w0 + j));
            acc_u += (uint64_t)(e * es_tab_i16(&fe->fb_unweights, w0 + j));
        }
        if (c > 0) {
            out[c - 1] = es_tflm_sqrt64(acc_w) >> shift;
        }
        carried = acc_u;
    }
}
