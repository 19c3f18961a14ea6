// Small integer helpers of the optimized front-end stages: products and shifts the
// reference writes in 64 bits, in 32-bit pieces where the core has no 32x32->64 multiply
// (ARMv6-M: GCC would call __aeabi_lmul), and a bit length without __clzsi2 there.
#ifndef EARSHOT_DSP_OPT_MATH_H
#define EARSHOT_DSP_OPT_MATH_H

#include <stdint.h>

#if defined(__ARM_ARCH_6M__)
#define ES_OPT_NO_MULL (1)
#else
#define ES_OPT_NO_MULL (0)
#endif

// bit_length(v): 0 for 0, else floor(log2 v) + 1.
static inline __attribute__((always_inline)) int es_opt_bit_length(uint32_t v) {
    #if ES_OPT_NO_MULL
    // No CLZ: two halvings and a table of the bit lengths of 0..255.
    extern const uint8_t es_opt_bit_lengths[256];
    int n = 0;
    if (v >> 16) {
        v >>= 16;
        n = 16;
    }
    if (v >> 8) {
        v >>= 8;
        n += 8;
    }
    return n + es_opt_bit_lengths[v];
    #else
    return v ? 32 - __builtin_clz(v) : 0;
    #endif
}

// (a * s) >> 14, truncated to 32 bits, for s < 2**15.
static inline uint32_t es_opt_mul_shr14(uint32_t a, uint32_t s) {
    #if ES_OPT_NO_MULL
    return ((a >> 16) * s << 2) + ((a & 0xFFFF) * s >> 14);
    #else
    return (uint32_t)(((uint64_t)a * s) >> 14);
    #endif
}

// (a * s + b * t) >> 14, truncated to 32 bits, for s + t <= 2**15.
static inline uint32_t es_opt_mix_shr14(uint32_t a, uint32_t s, uint32_t b, uint32_t t) {
    #if ES_OPT_NO_MULL
    uint32_t hi = (a >> 16) * s + (b >> 16) * t; // < 2**31
    uint32_t lo = (a & 0xFFFF) * s + (b & 0xFFFF) * t; // < 2**31
    return (hi << 2) + (lo >> 14);
    #else
    return (uint32_t)(((uint64_t)a * s + (uint64_t)b * t) >> 14);
    #endif
}

// a * s as 64 bits, for s < 2**16.
static inline uint64_t es_opt_mul32x16(uint32_t a, uint32_t s) {
    #if ES_OPT_NO_MULL
    return ((uint64_t)((a >> 16) * s) << 16) + (a & 0xFFFF) * s;
    #else
    return (uint64_t)a * s;
    #endif
}

#endif // EARSHOT_DSP_OPT_MATH_H
