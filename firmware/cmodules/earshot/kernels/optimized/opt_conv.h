// The im2col convolution engine of kernels/optimized/conv.c, shared with the depthwise
// kernel (a DEPTHWISE_CONV_2D with one input channel is a CONV_2D with a transposed filter).
#ifndef EARSHOT_KERNELS_OPT_CONV_H
#define EARSHOT_KERNELS_OPT_CONV_H

#include "kernels/kernels.h"

// The filter columns [*begin, *end) of a window starting at input column x0 that fall
// inside the input.
static inline void es_opt_inside_cols(const es_conv_params_t *p, int32_t x0, int32_t *begin,
    int32_t *end) {
    int32_t b = 0;
    while (b < p->filter_w && x0 + b * p->dilation_w < 0) {
        ++b;
    }
    int32_t e = p->filter_w;
    while (e > b && x0 + (e - 1) * p->dilation_w >= p->in_w) {
        --e;
    }
    *begin = b;
    *end = e;
}

// Whether the receptive field of p fits the stack scratch of es_opt_conv_im2col.
bool es_opt_conv_supported(const es_conv_params_t *p);

// CONV_2D with filter [out_ch, filter_h, filter_w, in_ch]; requires es_opt_conv_supported.
// False (nothing written) when the lean output stage cannot be proven for the operator.
// With the DSP extension, xfilter (or NULL) is the same filter already unpacked by
// es_opt_conv_expand, for the GEMM to skip its SXTB16s.
bool es_opt_conv_im2col(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    const uint32_t *xfilter, int8_t *output);

#if EARSHOT_OPT_DSP
// Words of an unpacked filter that callers may keep on their stack.
#define ES_OPT_XFILTER_WORDS (320)
// Unpacks a filter of out_ch channels of k_len entries (k_len a multiple of 4; entry k of
// channel c at filter[c * ch_step + k * k_step]) into x: for each pair of channels (a last
// odd one twice), for each group of four entries, SXTB16 and SXTB16 ROR 8 of the first
// channel's four bytes, then of the second's. False if it needs more than `words` words.
bool es_opt_conv_expand(const int8_t *filter, int32_t out_ch, int32_t k_len, int32_t ch_step,
    int32_t k_step, uint32_t *x, int32_t words);
#endif

#endif // EARSHOT_KERNELS_OPT_CONV_H
