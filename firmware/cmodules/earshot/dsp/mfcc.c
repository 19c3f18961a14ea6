// MFCC front end, one frame (mfcc.py "Fixed-point pipeline"): window + normalization,
// 32-bit FFT, rounded magnitudes, mel sums, log2 (+ eps, gain offset, frame shift), DCT,
// int8 quantization.

#include "dsp/dsp.h"

EARSHOT_OPT_SPEED

static inline int64_t shift_signed(int64_t v, int shift) {
    if (shift >= 0) {
        return (int64_t)((uint64_t)v << shift);
    }
    return (v + ((int64_t)1 << (-shift - 1))) >> -shift;
}

void es_mfcc_frame(es_fe_t *fe, int8_t *out) {
    int32_t *buf = fe->work;
    int s = es_window_normalize32(fe, buf);
    es_rfft32(&fe->fft, buf);
    // Magnitudes replace the spectrum in place (word k from words 2k, 2k + 1).
    uint32_t *mag = (uint32_t *)buf;
    for (uint32_t k = 0; k <= fe->fft.n; ++k) {
        int32_t re = buf[2 * k], im = buf[2 * k + 1];
        uint64_t p = (uint64_t)((int64_t)re * re) + (uint64_t)((int64_t)im * im);
        mag[k] = es_isqrt_round64(p);
    }
    uint64_t *mel = (uint64_t *)fe->logs;
    es_mel_sums(fe, mag, NULL, mel);
    uint64_t eps = (uint64_t)shift_signed(fe->eps_q, s - fe->eps_frac_bits);
    int64_t *logs = fe->logs;
    for (uint32_t j = 0; j < fe->channels; ++j) {
        logs[j] = es_log2_q16(mel[j] + eps, &fe->log2_lut) + fe->log_offset_q16
            - (int64_t)s * 65536;
    }
    const int frac = 16 + fe->dct_frac_bits;
    for (int32_t i = 0; i < fe->coefficients; ++i) {
        uint64_t acc = 0;
        for (uint32_t j = 0; j < fe->channels; ++j) {
            int64_t d = es_tab_i32(&fe->dct, (uint32_t)i * fe->channels + j);
            acc += (uint64_t)logs[j] * (uint64_t)d;
        }
        // (the rounding add wraps like the sum: DCT rows read in place may hold anything)
        int64_t q = ((int64_t)(acc + ((uint64_t)1 << (frac - 1))) >> frac) + fe->zero_point;
        q = q < fe->out_min ? fe->out_min : q > fe->out_max ? fe->out_max : q;
        out[i] = (int8_t)q;
    }
}

// Per-window peak normalization. The frames were computed at the tables' input gain 2^-15
// (full scale); the gain 1 / peak that MLPerf KWS training applies to each clip adds
// log2(32768 / peak) to every log-mel value, which the DCT turns into one constant change
// of coefficient 0 (the other rows of the DCT-II sum to zero). The eps of log(mel + eps)
// stays at its full-scale value: only near-silent bins see the difference.
int32_t es_mfcc_peak_steps(const es_fe_t *fe, int32_t peak) {
    if (peak < 1) {
        peak = 1;
    }
    int64_t delta_q16 = ((int64_t)15 << 16) - es_log2_q16((uint64_t)peak, &fe->log2_lut);
    int64_t steps_q16 = (fe->dct_row0_sum * delta_q16) >> fe->dct_frac_bits;
    return (int32_t)((steps_q16 + 32768) >> 16);
}

void es_mfcc_shift_c0(const es_fe_t *fe, int8_t *frames, size_t n_frames, int32_t steps) {
    for (size_t f = 0; f < n_frames; ++f) {
        int32_t v = frames[f * fe->features] + steps;
        frames[f * fe->features] = (int8_t)(v < fe->out_min ? fe->out_min : v > fe->out_max ? fe->out_max : v);
    }
}
