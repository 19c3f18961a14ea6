// Stages shared by the MFCC and log-mel front ends (spectral_fixed.py): window and block
// normalization into the 32-bit FFT's permuted input, mel band sums.

#include "dsp/dsp.h"

// Sample i (< W) of the frame: the int16 input, or for log-mel the pre-emphasized
// y = x[i] * 2**preemph_shift - preemph_num * x[i - 1] (x[-1] = frame[0]).
static inline int32_t frame_sample(const es_fe_t *fe, uint32_t i) {
    const int16_t *f = fe->frame;
    if (fe->kind == ES_FE_LOGMEL) {
        return (int32_t)f[i + 1] * ((int32_t)1 << fe->preemph_shift) - fe->preemph_num * f[i];
    }
    return f[i + 1];
}

static inline int64_t windowed(const es_fe_t *fe, uint32_t i) {
    return (int64_t)frame_sample(fe, i) * es_tab_i32(&fe->win, i);
}

static inline int32_t normalized(const es_fe_t *fe, uint32_t i, int shift) {
    if (i >= fe->window) {
        return 0;
    }
    int64_t v = windowed(fe, i);
    if (shift >= 0) {
        return (int32_t)(int64_t)((uint64_t)v << shift);
    }
    int r = -shift;
    return (int32_t)((v + ((int64_t)1 << (r - 1))) >> r);
}

// v[i] = sample * window (Q30); s = norm_bits - bit_length(max |v|) (0 when all zero);
// v scaled by 2**s (rounded when s < 0), so |v| <= 2**norm_bits. Returns s.
int es_window_normalize32(const es_fe_t *fe, int32_t *buf) {
    uint64_t max_abs = 0;
    for (uint32_t i = 0; i < fe->window; ++i) {
        int64_t v = windowed(fe, i);
        uint64_t a = v < 0 ? (uint64_t)-v : (uint64_t)v;
        if (a > max_abs) {
            max_abs = a;
        }
    }
    int shift = max_abs ? fe->norm_bits - es_bit_length64(max_abs) : 0;
    const es_tab_t *perm = &fe->fft.perm;
    for (uint32_t j = 0; j < fe->fft.n; ++j) {
        uint32_t m = 2 * (uint32_t)(uint16_t)es_tab_i16(perm, j);
        buf[2 * j] = normalized(fe, m, shift);
        buf[2 * j + 1] = normalized(fe, m + 1, shift);
    }
    return shift;
}

// mel[j] = sum of weight (Q15) * bin over band j (uint64, wrapping); bins are uint32
// (bins32) or uint64 (bins64).
void es_mel_sums(const es_fe_t *fe, const uint32_t *bins32, const uint64_t *bins64,
    uint64_t *mel) {
    uint32_t off = 0;
    for (uint32_t j = 0; j < fe->channels; ++j) {
        uint32_t start = (uint16_t)es_tab_i16(&fe->mel_starts, j);
        uint32_t width = (uint16_t)es_tab_i16(&fe->mel_widths, j);
        uint64_t acc = 0;
        if (bins32) {
            for (uint32_t i = 0; i < width; ++i) {
                acc += (uint64_t)es_tab_u16(&fe->mel_weights, off + i) * bins32[start + i];
            }
        } else {
            for (uint32_t i = 0; i < width; ++i) {
                acc += (uint64_t)es_tab_u16(&fe->mel_weights, off + i) * bins64[start + i];
            }
        }
        mel[j] = acc;
        off += width;
    }
}
