// The im2col convolution engine of kernels/optimized/conv.c, shared with the depthwise
// kernel (a DEPTHWISE_CONV_2D with one input channel is a CONV_2D with a transposed filter).
#ifndef EARSHOT_KERNELS_OPT_CONV_H
#define EARSHOT_KERNELS_OPT_CONV_H

#include "kernels/kernels.h"

// Whether the receptive field of p fits the stack scratch of es_opt_conv_im2col.
bool es_opt_conv_supported(const es_conv_params_t *p);

// CONV_2D with filter [out_ch, filter_h, filter_w, in_ch]; requires es_opt_conv_supported.
// False (nothing written) when the lean output stage cannot be proven for the operator.
bool es_opt_conv_im2col(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);

#endif // EARSHOT_KERNELS_OPT_CONV_H
