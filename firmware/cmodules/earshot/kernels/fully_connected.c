// int8 FULLY_CONNECTED (TFLite reference_integer_ops::FullyConnected(PerChannel) and
// LiteRT's reference kernel's double-precision output stage, FORMAT.md §3.2).

#include "output_stage.h"

static inline int bit_length64(uint64_t x) {
    int n = 0;
    if (x >> 32) {
        n = 32;
        x >>= 32;
    }
    uint32_t y = (uint32_t)x;
    if (y >> 16) {
        n += 16;
        y >>= 16;
    }
    if (y >> 8) {
        n += 8;
        y >>= 8;
    }
    if (y >> 4) {
        n += 4;
        y >>= 4;
    }
    if (y >> 2) {
        n += 2;
        y >>= 2;
    }
    if (y >> 1) {
        n += 1;
        y >>= 1;
    }
    return n + (int)y;
}

int32_t es_double_round_scale(int32_t acc, int64_t mantissa, int32_t exponent) {
    if (acc == 0 || mantissa == 0) {
        return 0;
    }
    // P = |acc| * mantissa (< 2^84) as mid * 2^32 + lo. The scale arrays are constant data
    // that may change after the checks (a bytearray model): the mantissa is cut to its 53
    // bits and the exponent kept within [-1024, 0], so no value read from the file can
    // overflow the product or shift by 64 or more; valid values are unchanged.
    const uint32_t a = acc < 0 ? (uint32_t)0 - (uint32_t)acc : (uint32_t)acc;
    const uint64_t m = (uint64_t)mantissa & (((uint64_t)1 << 53) - 1u);
    exponent = exponent < -1024 ? -1024 : (exponent > 0 ? 0 : exponent);
    const uint64_t p0 = (uint64_t)a * (uint32_t)m;
    const uint64_t p1 = (uint64_t)a * (uint32_t)(m >> 32);
    const uint32_t lo = (uint32_t)p0;
    const uint64_t mid = (p0 >> 32) + p1;
    const int n = mid ? 32 + bit_length64(mid) : bit_length64(lo);
    uint64_t q;
    int32_t e = exponent;
    if (n > 53) {
        // Round the exact product to 53 significant bits, half to even (IEEE multiply).
        const int k = n - 53; // 1..31
        q = (mid << (32 - k)) | (lo >> k);
        const uint32_t r = lo & (((uint32_t)1 << k) - 1u);
        const uint32_t half = (uint32_t)1 << (k - 1);
        if (r > half || (r == half && (q & 1))) {
            q += 1;
        }
        e += k;
    } else {
        q = (mid << 32) | lo;
    }
    uint64_t magnitude;
    if (e >= 0) {
        // e <= 31 here; anything at or above 2^32 saturates below.
        if (q >= ((uint64_t)1 << (32 - e))) {
            magnitude = (uint64_t)1 << 32;
        } else {
            magnitude = q << e;
        }
    } else {
        // std::round: half away from zero.
        const int shift = -e;
        magnitude = shift > 60 ? 0 : (q + ((uint64_t)1 << (shift - 1))) >> shift;
    }
    if (acc > 0) {
        return magnitude > (uint64_t)INT32_MAX ? INT32_MAX : (int32_t)magnitude;
    }
    return magnitude >= ((uint64_t)1 << 31) ? INT32_MIN : -(int32_t)magnitude;
}

void es_fully_connected_s8(const es_fc_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const es_requant_t *rq = &p->rq;
    const int32_t depth = p->depth;
    const int32_t input_offset = p->input_offset;
    const int32_t filter_offset = p->filter_offset;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * depth;
        for (int32_t c = 0; c < p->out_ch; ++c) {
            const int8_t *f_c = filter + (size_t)c * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += ((int32_t)f_c[d] + filter_offset) * ((int32_t)in_b[d] + input_offset);
            }
            if (!p->double_round) {
                es_channel_t ch;
                es_load_channel(rq, c, &ch);
                *output++ = es_output_fixed(rq, &ch, acc);
                continue;
            }
            const uint32_t idx = rq->count == 1 ? 0 : (uint32_t)c;
            if (rq->bias) {
                acc = es_wrap_add(acc, es_rd_i32(rq->bias + 4 * c));
            }
            int32_t v = es_double_round_scale(acc, es_rd_i64(rq->mantissas + 8 * idx),
                es_rd_i32(rq->exponents + 4 * idx));
            *output++ = es_output_clamp(rq, v);
        }
    }
}
