// Optimized int8 FULLY_CONNECTED: two output channels per pass over the input row. The
// filter zero point is folded out of the inner loop:
//   sum (f + fo) * (x + xo) = sum f * (x + xo) + fo * sum (x + xo)   (mod 2^32),
// the second sum computed once per row. With the DSP extension four input bytes are
// unpacked with SXTB16, offset with SADD16 and multiplied with SMLAD against four filter
// bytes of each channel. Both output stages (FIXED_POINT and DOUBLE_ROUND) as in
// kernels/fully_connected.c, with which it is bit-exact.

#include "kernels/optimized/opt_common.h"

#if !EARSHOT_KERNELS_REFERENCE

EARSHOT_OPT_SPEED

static void dot_2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t depth,
    int32_t offset, int32_t *acc) {
    int32_t a0 = 0, a1 = 0;
    int32_t d = 0;
    #if EARSHOT_OPT_DSP
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
    for (; d + 4 <= depth; d += 4) {
        const uint32_t xv = es_opt_rd32(x + d);
        const int32_t x02 = __sadd16(__sxtb16(xv), off2);
        const int32_t x13 = __sadd16(es_sxtb16_ror8(xv), off2);
        const uint32_t wa = es_opt_rd32(w0 + d);
        const uint32_t wb = es_opt_rd32(w1 + d);
        a0 = __smlad(__sxtb16(wa), x02, a0);
        a1 = __smlad(__sxtb16(wb), x02, a1);
        a0 = __smlad(es_sxtb16_ror8(wa), x13, a0);
        a1 = __smlad(es_sxtb16_ror8(wb), x13, a1);
    }
    #endif
    for (; d < depth; ++d) {
        const int32_t xv = x[d] + offset;
        a0 += w0[d] * xv;
        a1 += w1[d] * xv;
    }
    acc[0] = a0;
    acc[1] = a1;
}

static int8_t output_of(const es_fc_params_t *p, const es_opt_out_t *o, int32_t c, int32_t acc) {
    const es_requant_t *rq = &p->rq;
    if (!p->double_round) {
        es_opt_ch_t ch;
        es_opt_load_channel(rq, c, &ch);
        return es_opt_out(o, es_opt_scale(acc, &ch));
    }
    const uint32_t idx = rq->count == 1 ? 0 : (uint32_t)c;
    if (rq->bias) {
        acc = es_wrap_add(acc, es_rd_i32(rq->bias + 4 * c));
    }
    return es_output_clamp(rq, es_double_round_scale(acc, es_rd_i64(rq->mantissas + 8 * idx),
        es_rd_i32(rq->exponents + 4 * idx)));
}

void es_fully_connected_s8_opt(const es_fc_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output) {
    const int32_t depth = p->depth;
    const int32_t out_ch = p->out_ch;
    es_opt_out_t o;
    es_opt_out_init(&p->rq, &o);
    int32_t acc[2];
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * depth;
        uint32_t row_sum = 0;
        if (p->filter_offset != 0) {
            for (int32_t d = 0; d < depth; ++d) {
                row_sum += (uint32_t)(in_b[d] + p->input_offset);
            }
        }
        const uint32_t fold = (uint32_t)p->filter_offset * row_sum;
        for (int32_t c = 0; c < out_ch; c += 2) {
            const bool pair = c + 1 < out_ch;
            const int8_t *w0 = filter + (size_t)c * depth;
            dot_2(in_b, w0, pair ? w0 + depth : w0, depth, p->input_offset, acc);
            output[c] = output_of(p, &o, c, es_wrap_add(acc[0], (int32_t)fold));
            if (pair) {
                output[c + 1] = output_of(p, &o, c + 1, es_wrap_add(acc[1], (int32_t)fold));
            }
        }
        output += out_ch;
    }
}

#endif // !EARSHOT_KERNELS_REFERENCE
