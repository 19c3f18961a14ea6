// TFLM window stage (dsp/window.c is the reference and the specification) in one pass:
// each pair of windowed samples goes straight to its place in the FFT's permuted input,
// and the block shift, known only at the end, is left to the FFT's first stage
// (es_rfft16_pre). The pass writes pair i to complex slot perm[i], which is where the
// reference's slot j = perm[i] reads it from when the permutation is its own inverse (the
// digit reversal of a radix-4-only FFT: es_rfft_t.perm_involution). Other plans, odd
// windows, window values beyond Q12 (+-4096: then a product could leave int16 before the
// reference truncates it) and, where the core needs it, unaligned tables take the
// reference. The perm values were checked (< n) when the front end was made, but a
// writable model buffer may change them in place since: each is masked by n - 1 (n a
// power of two) before it indexes out, which leaves the checked values as they are.

#include "dsp/dsp.h"

#if ES_TFLM_WINDOW_OPT

EARSHOT_OPT_SPEED

#if defined(__ARM_ARCH_6M__)
typedef struct {
    const uint32_t *x, *win;
    const uint16_t *perm;
    uint32_t *out;
    uint32_t pairs;
    uint32_t mask; // n - 1: perm values are masked by it
} es_window_args_t;
uint32_t es_window_pairs_v6m(const es_window_args_t *a);
#endif

#if !defined(__ARM_ARCH_6M__)
static inline uint32_t abs32(int32_t v) {
    return (uint32_t)(v < 0 ? -v : v);
}
#endif

int es_tflm_window_opt(const es_fe_t *fe, int16_t *buf, int *pending) {
    const uint32_t size = fe->window, n = fe->fft.n;
    const uint8_t *win = fe->win.p, *perm = fe->fft.perm.p;
    bool fast = fe->fft.perm_involution && fe->win_q12 && !(size & 1);
    #if !EARSHOT_LE_UNALIGNED_OK
    fast = fast && !(((uintptr_t)win & 3) | ((uintptr_t)perm & 1));
    #endif
    if (!fast) {
        *pending = 0;
        return es_tflm_window(fe, buf);
    }
    // The frame's window is 4-byte aligned (es_fe_attach), so is the FFT buffer.
    const uint32_t *x = (const uint32_t *)(const void *)(fe->frame + 1);
    uint32_t *out = (uint32_t *)(void *)buf;
    const uint32_t pairs = size / 2;
    const uint32_t mask = n - 1;
    uint32_t bits = 0;
    #if defined(__ARM_ARCH_6M__)
    // The loop below in assembly (window_v6m.S).
    const es_window_args_t args = {
        x, (const uint32_t *)(const void *)win, (const uint16_t *)(const void *)perm, out, pairs,
        mask,
    };
    bits = es_window_pairs_v6m(&args);
    #else
    for (uint32_t i = 0; i < pairs; ++i) {
        uint32_t xs = x[i];
        uint32_t ws = es_rd_u32(win + 4 * i);
        uint32_t w;
        #if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
        // Both products as int16 lanes (PKHBT takes bits 12..27 of the second); |lane| by
        // SSUB16 from zero and SEL (-32768 stays 0x8000, dropped by the final mask).
        int32_t p0 = (int32_t)(int16_t)xs * (int16_t)ws;
        int32_t p1 = ((int32_t)xs >> 16) * ((int32_t)ws >> 16);
        uint32_t a;
        __asm__ ("pkhbt %0, %1, %2, lsl #4" : "=r" (w) : "r" (p0 >> 12), "r" (p1));
        __asm__ ("ssub16 %0, %2, %1\n\tsel %0, %0, %1" : "=&r" (a) : "r" (w), "r" (0));
        bits |= a;
        #else
        // |window| <= 4096: each product >> 12 is within [-2**15, 2**15]; only +2**15
        // leaves int16 (it wraps to -2**15, whose magnitude the reference ignores: so
        // does the final mask here).
        int32_t w0 = ((int32_t)(int16_t)xs * (int16_t)ws) >> 12;
        int32_t w1 = (((int32_t)xs >> 16) * ((int32_t)ws >> 16)) >> 12;
        bits |= abs32(w0) | abs32(w1);
        w = ((uint32_t)w0 & 0xFFFF) | ((uint32_t)w1 << 16);
        #endif
        out[es_rd_u16(perm + 2 * i) & mask] = w;
    }
    #endif
    for (uint32_t i = pairs; i < n; ++i) {
        #if EARSHOT_LE_UNALIGNED_OK
        out[es_rd_u16(perm + 2 * i) & mask] = 0;
        #else
        out[((const uint16_t *)(const void *)perm)[i] & mask] = 0;
        #endif
    }
    #if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    bits = (bits | (bits >> 16)) & 0x7FFF;
    #else
    bits &= 0x7FFF;
    #endif
    const int shift = 15 - es_bit_length32(bits);
    *pending = shift;
    return shift;
}

#endif // ES_TFLM_WINDOW_OPT
