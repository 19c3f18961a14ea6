// Integer requantization helpers, bit-exact with gemmlowp / TFLite's common.h
// (models/FORMAT.md §3). int32 arithmetic that TFLite lets wrap is done in uint32.
#ifndef EARSHOT_KERNELS_REQUANTIZE_H
#define EARSHOT_KERNELS_REQUANTIZE_H

#include <stdint.h>

static inline int32_t es_wrap_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t es_wrap_sub(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

// x << shift with two's-complement wraparound, 0 <= shift <= 31.
static inline int32_t es_wrap_shl(int32_t x, int shift) {
    return (int32_t)((uint32_t)x << shift);
}

// SaturatingRoundingDoublingHighMul: round(a * b / 2^31) with gemmlowp's nudge, saturated.
static inline int32_t es_srdhm(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * b;
    int64_t nudged = ab + (ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30)));
    // C division truncates toward zero; do it with shifts (no 64-bit division call).
    int64_t high = nudged >= 0 ? (nudged >> 31) : -((-nudged) >> 31);
    return (int32_t)high;
}

// RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero; 0..31.
static inline int32_t es_rdbp(int32_t x, int exponent) {
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0);
    return (x >> exponent) + (remainder > threshold);
}

// RoundingDivideByPOT of an int32 value for any exponent >= 0, as 64-bit arithmetic
// gives it (the softmax output stage can ask for exponents above 31).
static inline int32_t es_rdbp_wide(int32_t x, int exponent) {
    if (exponent <= 31) {
        return es_rdbp(x, exponent);
    }
    if (exponent >= 63) {
        exponent = 63;
    }
    const int64_t mask = (int64_t)(((uint64_t)1 << exponent) - 1u);
    const int64_t remainder = (int64_t)x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0);
    return (int32_t)(((int64_t)x >> exponent) + (remainder > threshold));
}

// MultiplyByQuantizedMultiplier(x, multiplier, shift), shift in [-31, 30].
static inline int32_t es_mbqm(int32_t x, int32_t multiplier, int shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    return es_rdbp(es_srdhm(es_wrap_shl(x, left), multiplier), right);
}

static inline int32_t es_clamp(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif // EARSHOT_KERNELS_REQUANTIZE_H
