// Stages shared by the MFCC and log-mel front ends (spectral_fixed.py): window and block
// normalization into the 32-bit FFT's permuted input, mel band sums.

#include "dsp/dsp.h"

EARSHOT_OPT_SPEED

// The frame as the window stage reads it; locals, so that stores into the FFT buffer
// cannot alias them.
typedef struct _window_src_t {
    const int16_t *f; // frame: f[0] the sample before the window
    const uint8_t *win; // Q30 int32 window, any alignment
    uint32_t size;
    int32_t pre_mult, pre_num; // log-mel pre-emphasis: 2**preemph_shift, preemph_num
} window_src_t;

// Sample i (< W) of the frame times the window (Q30): the int16 input, or for log-mel
// (pre = true) the pre-emphasized y = x[i] * 2**preemph_shift - preemph_num * x[i - 1]
// (x[-1] = frame[0]).
static inline __attribute__((always_inline)) int64_t windowed(const window_src_t *src,
    uint32_t i, bool pre) {
    const int16_t *f = src->f;
    int32_t y = pre ? (int32_t)f[i + 1] * src->pre_mult - src->pre_num * f[i] : f[i + 1];
    return (int64_t)y * es_rd_i32(src->win + 4 * i);
}

// v scaled by 2**shift, truncated to int32 (mode 0: shift >= 0), or by 2**-r = 2**shift,
// rounded (mode 1: 1 <= r <= 31, mode 2: r >= 32): the low word of (v + 2**(r - 1)) >> r
// from the two words of the sum.
static inline __attribute__((always_inline)) int32_t scaled(int64_t v, int mode, int shift) {
    if (mode == 0) {
        return (int32_t)(uint32_t)((uint64_t)v << shift);
    }
    const int r = -shift;
    uint64_t w = (uint64_t)v + ((uint64_t)1 << (r - 1));
    uint32_t lo = (uint32_t)w, hi = (uint32_t)(w >> 32);
    if (mode == 1) {
        return (int32_t)((lo >> r) | (hi << (32 - r)));
    }
    return (int32_t)hi >> (r - 32);
}

// The FFT's permuted input: pairs of window values (m, m + 1) for m = 2 perm[j]; zero
// past the window. The pair shares its middle sample (pre-emphasis reads x[m]).
static inline __attribute__((always_inline)) void permute(const window_src_t *src,
    const es_fe_t *fe, int32_t *buf, bool pre, int mode, int shift) {
    const uint8_t *perm = fe->fft.perm.p;
    const uint32_t n = fe->fft.n;
    const int16_t *f = src->f;
    for (uint32_t j = 0; j < n; ++j) {
        uint32_t m = 2 * (uint32_t)es_rd_u16(perm + 2 * j);
        int32_t a = 0, b = 0;
        if (m + 1 < src->size) {
            int32_t x0 = f[m], x1 = f[m + 1], x2 = f[m + 2];
            int32_t y0 = pre ? x1 * src->pre_mult - src->pre_num * x0 : x1;
            int32_t y1 = pre ? x2 * src->pre_mult - src->pre_num * x1 : x2;
            a = scaled((int64_t)y0 * es_rd_i32(src->win + 4 * m), mode, shift);
            b = scaled((int64_t)y1 * es_rd_i32(src->win + 4 * m + 4), mode, shift);
        } else if (m < src->size) {
            a = scaled(windowed(src, m, pre), mode, shift);
        }
        buf[2 * j] = a;
        buf[2 * j + 1] = b;
    }
}

static inline __attribute__((always_inline)) int window_normalize(const es_fe_t *fe,
    int32_t *buf, bool pre) {
    const window_src_t src = {
        fe->frame, fe->win.p, fe->window, (int32_t)1 << fe->preemph_shift, fe->preemph_num,
    };
    // bit_length(max |v|) == bit_length(OR of all |v|)
    uint64_t bits = 0;
    #pragma GCC unroll 2
    for (uint32_t i = 0; i < src.size; ++i) {
        int64_t v = windowed(&src, i, pre);
        bits |= (uint64_t)(v < 0 ? -v : v);
    }
    const int shift = bits ? fe->norm_bits - es_bit_length64(bits) : 0;
    if (shift >= 0) {
        permute(&src, fe, buf, pre, 0, shift);
    } else if (shift >= -31) {
        permute(&src, fe, buf, pre, 1, shift);
    } else {
        permute(&src, fe, buf, pre, 2, shift);
    }
    return shift;
}

// v[i] = sample * window (Q30); s = norm_bits - bit_length(max |v|) (0 when all zero);
// v scaled by 2**s (rounded when s < 0), so |v| <= 2**norm_bits. Returns s.
int es_window_normalize32(const es_fe_t *fe, int32_t *buf) {
    return fe->kind == ES_FE_LOGMEL ? window_normalize(fe, buf, true)
        : window_normalize(fe, buf, false);
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
            // weight * bin mod 2**64 as weight * low word (UMLAL) plus weight * high word
            // into the top 32 bits.
            #if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
            // weight * bin mod 2**64: UMLAL of the low word, the high word's product into
            // the top (GCC keeps neither in registers on its own).
            uint32_t lo = 0, hi = 0;
            const uint8_t *weights = fe->mel_weights.p + 2 * off;
            const uint32_t *bin = (const uint32_t *)(const void *)(bins64 + start);
            for (uint32_t i = 0; i < width; ++i, bin += 2) {
                uint32_t w = es_rd_u16(weights + 2 * i);
                __asm__ ("umlal %0, %1, %2, %3" : "+r" (lo), "+r" (hi) : "r" (w), "r" (bin[0]));
                hi += w * bin[1];
            }
            acc = (uint64_t)hi << 32 | lo;
            #else
            for (uint32_t i = 0; i < width; ++i) {
                acc += (uint64_t)es_tab_u16(&fe->mel_weights, off + i) * bins64[start + i];
            }
            #endif
        }
        mel[j] = acc;
        off += width;
    }
}
