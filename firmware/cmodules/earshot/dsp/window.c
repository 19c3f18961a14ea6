// TFLM window stage (tflm_micro.py steps 1-2): Q12 Hann window, block shift to use the
// 16-bit FFT's range, zero padding; written straight into the FFT's permuted input.

#include "dsp/dsp.h"

// Pairs of samples in words where the core loads them from any address and multiplies
// halfwords (SMULBB / SMULTT).
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && EARSHOT_LE_UNALIGNED_OK
#define ES_WINDOW_SIMD (1)
#else
#define ES_WINDOW_SIMD (0)
#endif

EARSHOT_OPT_SPEED

// Sample i of the window before its int16 truncation: (x[i] * window[i]) >> 12.
static inline int32_t windowed(const int16_t *x, const uint8_t *win, uint32_t i) {
    return ((int32_t)x[i] * (int16_t)es_rd_u16(win + 2 * i)) >> 12;
}

// Returns the shift: 15 - bit_length(max |w|) over the int16 windowed samples w (|-32768|
// wraps negative in int16 arithmetic and is ignored, as in TensorFlow's front end). The
// FFT input is w << shift, truncated to int16.
int es_tflm_window(const es_fe_t *fe, int16_t *buf) {
    const int16_t *x = fe->frame + 1;
    const uint8_t *win = fe->win.p;
    const uint32_t size = fe->window;
    // bit_length(max) == bit_length(OR of all); & 0x7fff drops the |-32768| case.
    uint32_t bits = 0;
    uint32_t i = 0;
    #if ES_WINDOW_SIMD
    // Two samples per step: the windowed pair packed as int16 lanes (PKHBT takes bits
    // 12..27 of the second product), |lane| by SSUB16 from zero and SEL (-32768 stays
    // 0x8000, dropped by the mask like the scalar path's).
    uint32_t lanes = 0;
    for (; i + 2 <= size; i += 2) {
        uint32_t xs, ws, w, abs;
        memcpy(&xs, x + i, sizeof(xs));
        memcpy(&ws, win + 2 * i, sizeof(ws));
        int32_t p0 = (int32_t)(int16_t)xs * (int16_t)ws;
        int32_t p1 = ((int32_t)xs >> 16) * ((int32_t)ws >> 16);
        __asm__ ("pkhbt %0, %1, %2, lsl #4" : "=r" (w) : "r" (p0 >> 12), "r" (p1));
        __asm__ ("ssub16 %0, %2, %1\n\tsel %0, %0, %1" : "=&r" (abs) : "r" (w), "r" (0));
        lanes |= abs;
    }
    bits = (lanes | (lanes >> 16)) & 0x7fff;
    #endif
    for (; i < size; ++i) {
        int32_t w = (int16_t)windowed(x, win, i);
        bits |= (uint32_t)(w < 0 ? -w : w) & 0x7fff;
    }
    const int shift = 15 - es_bit_length32(bits);
    const uint8_t *perm = fe->fft.perm.p;
    const uint32_t n = fe->fft.n;
    for (uint32_t j = 0; j < n; ++j) {
        uint32_t m = 2 * (uint32_t)es_rd_u16(perm + 2 * j);
        uint32_t a = 0, b = 0;
        #if ES_WINDOW_SIMD
        if (m + 1 < size) {
            // Both samples at once: x[m], x[m + 1] and their window values as word pairs
            // (x + m is 4-byte aligned: the frame's window is, and m is even).
            uint32_t xs, ws;
            memcpy(&xs, x + m, sizeof(xs));
            memcpy(&ws, win + 2 * m, sizeof(ws));
            a = (uint32_t)(((int32_t)(int16_t)xs * (int16_t)ws) >> 12) << shift;
            b = (uint32_t)((((int32_t)xs >> 16) * ((int32_t)ws >> 16)) >> 12) << shift;
            uint32_t pair;
            __asm__ ("pkhbt %0, %1, %2, lsl #16" : "=r" (pair) : "r" (a), "r" (b));
            memcpy(buf + 2 * j, &pair, sizeof(pair));
            continue;
        }
        #endif
        if (m + 1 < size) {
            a = (uint32_t)windowed(x, win, m) << shift;
            b = (uint32_t)windowed(x, win, m + 1) << shift;
        } else if (m < size) {
            a = (uint32_t)windowed(x, win, m) << shift;
        }
        buf[2 * j] = (int16_t)a;
        buf[2 * j + 1] = (int16_t)b;
    }
    return shift;
}
