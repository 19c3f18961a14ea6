// int8 SOFTMAX (TFLite reference_ops::Softmax with gemmlowp fixed point, FORMAT.md §3.5).
// Input differences are scaled to Q5.26, exponentiated to Q0.31, summed in Q12.19 and
// normalized by the fixed-point reciprocal of the sum; output scale 1/256, zero point -128.

#include "kernels.h"
#include "requantize.h"

#define SCALED_DIFF_INTEGER_BITS (5)
#define ACCUMULATION_INTEGER_BITS (12)

// gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0.
static inline int32_t sat_mul_pot(int32_t x, int exponent) {
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return es_wrap_shl(x, exponent);
}

// exp(a) for a in [-1/4, 0), Q0.31 in and out.
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
    const int32_t constant_term = 1895147668; // exp(-1/8)
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = es_wrap_add(a, 1 << 28); // a + 1/8
    const int32_t x2 = es_srdhm(x, x);
    const int32_t x3 = es_srdhm(x2, x);
    const int32_t x4 = es_srdhm(x2, x2);
    const int32_t x4_over_4 = es_rdbp(x4, 2);
    const int32_t poly = es_rdbp(
        es_wrap_add(es_srdhm(es_wrap_add(x4_over_4, x3), constant_1_over_3), x2), 1);
    return es_wrap_add(constant_term, es_srdhm(constant_term, es_wrap_add(x, poly)));
}

// gemmlowp exp_on_negative_values for a Q5.26 input a <= 0; Q0.31 out.
static int32_t exp_on_negative_values_q5(int32_t a) {
    enum { FRACTIONAL_BITS = 31 - SCALED_DIFF_INTEGER_BITS };
    static const int32_t barrel[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    if (a == 0) {
        return INT32_MAX;
    }
    const int32_t one_quarter = 1 << (FRACTIONAL_BITS - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = es_wrap_sub(a & mask, one_quarter);
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_mul_pot(a_mod_quarter_minus_one_quarter, SCALED_DIFF_INTEGER_BITS));
    const int32_t remainder = es_wrap_sub(a_mod_quarter_minus_one_quarter, a);
    // Exponents -2..4 of the barrel shifter, all below the 5 integer bits.
    for (int k = 0; k < 7; ++k) {
        const uint32_t bit = (uint32_t)1 << (FRACTIONAL_BITS - 2 + k);
        if ((uint32_t)remainder & bit) {
            result = es_srdhm(result, barrel[k]);
        }
    }
    return result;
}

// gemmlowp one_over_one_plus_x_for_x_in_0_1 (Newton-Raphson), Q0.31 in and out.
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
    // RoundingHalfSum(a, 1): (a + INT32_MAX + sign) / 2, truncating.
    const int64_t total = (int64_t)a + INT32_MAX;
    const int64_t numerator = total + (total >= 0 ? 1 : -1);
    const int32_t half_denominator = (int32_t)(numerator / 2);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    const int32_t one_q2 = 1 << 29;
    int32_t x = es_wrap_add(constant_48_over_17,
        es_srdhm(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = es_srdhm(half_denominator, x);
        const int32_t one_minus = es_wrap_sub(one_q2, half_denominator_times_x);
        x = es_wrap_add(x, sat_mul_pot(es_srdhm(x, one_minus), 2));
    }
    return sat_mul_pot(x, 1);
}

static inline int count_leading_zeros(uint32_t x) {
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

void es_softmax_s8(const es_softmax_kernel_params_t *p, const int8_t *input, int8_t *output) {
    const uint32_t depth = p->depth;
    for (uint32_t r = 0; r < p->rows; ++r) {
        const int8_t *x = input + (size_t)r * depth;
        int8_t *out = output + (size_t)r * depth;
        int32_t max = -128;
        for (uint32_t d = 0; d < depth; ++d) {
            max = x[d] > max ? x[d] : max;
        }
        int32_t sum = 0;
        for (uint32_t d = 0; d < depth; ++d) {
            const int32_t diff = (int32_t)x[d] - max;
            if (diff >= p->diff_min) {
                const int32_t scaled = es_srdhm(es_wrap_shl(diff, p->input_beta_left_shift),
                    p->input_beta_multiplier);
                const int32_t e = exp_on_negative_values_q5(scaled);
                sum = es_wrap_add(sum, es_rdbp(e, ACCUMULATION_INTEGER_BITS));
            }
        }
        // GetReciprocal(sum, 12).
        const int headroom_plus_one = count_leading_zeros((uint32_t)sum);
        const int num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        const uint32_t shifted = headroom_plus_one >= 32 ? 0 : (uint32_t)sum << headroom_plus_one;
        const int32_t shifted_scale = one_over_one_plus_x_for_x_in_0_1(
            (int32_t)(shifted - 0x80000000u));
        const int exponent = num_bits_over_unit + 31 - 8;
        for (uint32_t d = 0; d < depth; ++d) {
            const int32_t diff = (int32_t)x[d] - max;
            int32_t v = -128;
            if (diff >= p->diff_min) {
                const int32_t scaled = es_srdhm(es_wrap_shl(diff, p->input_beta_left_shift),
                    p->input_beta_multiplier);
                const int32_t e = exp_on_negative_values_q5(scaled);
                const int32_t unsat = exponent >= 0
                    ? es_rdbp_wide(es_srdhm(shifted_scale, e), exponent)
                    : es_wrap_shl(es_srdhm(shifted_scale, e), -exponent);
                v = es_clamp(es_clamp(unsat, -1024, 1024) - 128, -128, 127);
            }
            out[d] = (int8_t)v;
        }
    }
}
