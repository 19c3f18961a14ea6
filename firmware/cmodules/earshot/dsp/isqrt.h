// floor(sqrt(v)) of a 32-bit value on cores with a hardware divide or a single-precision
// FPU (dsp/fixed_math.c, the optimized filterbank): ES_ISQRT32 is 1 where it is defined.
#ifndef EARSHOT_DSP_ISQRT_H
#define EARSHOT_DSP_ISQRT_H

#include <stdint.h>

#if defined(__ARM_FEATURE_IDIV) || !defined(__arm__)
#define ES_ISQRT32 (1)

int es_bit_length32(uint32_t v);

// With a hardware divide (Cortex-M3 and up, the Unix port): Newton's iteration from above,
// y = (x + v / x) / 2 from x = 2**ceil(bits / 2) >= sqrt(v), decreases strictly until
// x = floor(sqrt(v)) (at most 6 steps for 32 bits).
static inline uint32_t es_isqrt32(uint32_t v) {
    #if defined(__ARM_FP) && (__ARM_FP & 4) && !defined(__SOFTFP__)
    // With a single-precision FPU: VSQRT of the nearest float (v loses at most 128 in the
    // conversion, the root then less than 0.003), truncated, then made exact: the
    // estimate is within 1 of floor(sqrt(v)).
    float f = (float)v;
    __asm__ ("vsqrt.f32 %0, %0" : "+t" (f));
    uint32_t r = (uint32_t)f;
    if (r > 0xffff) {
        r = 0xffff;
    }
    if (r * r > v) {
        return r - 1;
    }
    return (v - r * r > 2 * r) ? r + 1 : r;
    #else
    if (v < 2) {
        return v;
    }
    uint32_t x = (uint32_t)1 << ((es_bit_length32(v) + 1) >> 1);
    for (;;) {
        uint32_t y = (x + v / x) >> 1;
        if (y >= x) {
            return x;
        }
        x = y;
    }
    #endif
}

#else
#define ES_ISQRT32 (0)
#endif

#endif // EARSHOT_DSP_ISQRT_H
