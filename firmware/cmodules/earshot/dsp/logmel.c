// Log-mel front end, one frame (logmel.py "Fixed-point pipeline"): pre-emphasis (in the
// window stage), window + normalization, 32-bit FFT, rounded power, mel sums, log2 to dB
// to the model's int8 input.

#include "dsp/dsp.h"

EARSHOT_OPT_SPEED

void es_logmel_frame(es_fe_t *fe, int8_t *out) {
    int32_t *buf = fe->work;
    int s = es_window_normalize32(fe, buf);
    es_rfft32(&fe->fft, buf);
    // Powers replace the spectrum in place (uint64 k occupies words 2k, 2k + 1).
    uint64_t *power = (uint64_t *)(void *)buf;
    const int ps = fe->power_shift;
    const uint64_t half = (uint64_t)1 << (ps - 1);
    const uint32_t bins = fe->fft.n + 1;
    if (ps < 32) {
        // the shift of the two words, without the general 64-bit shift's cases
        for (uint32_t k = 0; k < bins; ++k) {
            int32_t re = buf[2 * k], im = buf[2 * k + 1];
            uint64_t p = (uint64_t)((int64_t)re * re) + (uint64_t)((int64_t)im * im) + half;
            uint32_t lo = (uint32_t)p, hi = (uint32_t)(p >> 32);
            power[k] = (uint64_t)(hi >> ps) << 32 | ((lo >> ps) | (hi << (32 - ps)));
        }
    } else {
        for (uint32_t k = 0; k < bins; ++k) {
            int32_t re = buf[2 * k], im = buf[2 * k + 1];
            uint64_t p = (uint64_t)((int64_t)re * re) + (uint64_t)((int64_t)im * im);
            power[k] = (p + half) >> ps;
        }
    }
    uint64_t *mel = (uint64_t *)fe->logs;
    es_mel_sums(fe, NULL, power, mel);
    const int64_t frame_shift = (int64_t)fe->frame_shift_mult * s * 65536;
    for (uint32_t j = 0; j < fe->channels; ++j) {
        int64_t q;
        if (mel[j] == 0) {
            q = fe->out_min;
        } else {
            int64_t l = es_log2_q16(mel[j], &fe->log2_lut) + fe->log_offset_q16 - frame_shift;
            int64_t acc = fe->db_mult_q16 * l + fe->db_bias_q32;
            q = ((acc + ((int64_t)1 << 31)) >> 32) + fe->zero_point;
            q = q < fe->out_min ? fe->out_min : q > fe->out_max ? fe->out_max : q;
        }
        out[j] = (int8_t)q;
    }
}
