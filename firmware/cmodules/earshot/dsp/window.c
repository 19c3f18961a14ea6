// TFLM window stage (tflm_micro.py steps 1-2): Q12 Hann window, block shift to use the
// 16-bit FFT's range, zero padding; written straight into the FFT's permuted input.

#include "dsp/dsp.h"

static inline int16_t windowed(const es_fe_t *fe, const int16_t *x, uint32_t i) {
    return (int16_t)(((int32_t)x[i] * es_tab_i16(&fe->win, i)) >> 12);
}

static inline int16_t fft_input(const es_fe_t *fe, const int16_t *x, uint32_t i, int shift) {
    if (i >= fe->window) {
        return 0;
    }
    return (int16_t)(uint16_t)((uint32_t)(uint16_t)windowed(fe, x, i) << shift);
}

// Returns the shift: 15 - bit_length(max |w|) (|-32768| wraps negative and is ignored,
// as in the int16 arithmetic of TensorFlow's front end).
int es_tflm_window(const es_fe_t *fe, int16_t *buf) {
    const int16_t *x = fe->frame + 1;
    int32_t max_abs = 0;
    for (uint32_t i = 0; i < fe->window; ++i) {
        int16_t w = windowed(fe, x, i);
        int16_t a = (int16_t)(w < 0 ? -w : w);
        if (a > max_abs) {
            max_abs = a;
        }
    }
    int shift = 15 - es_bit_length32((uint32_t)max_abs);
    const es_tab_t *perm = &fe->fft.perm;
    for (uint32_t j = 0; j < fe->fft.n; ++j) {
        uint32_t m = 2 * (uint32_t)(uint16_t)es_tab_i16(perm, j);
        buf[2 * j] = fft_input(fe, x, m, shift);
        buf[2 * j + 1] = fft_input(fe, x, m + 1, shift);
    }
    return shift;
}
