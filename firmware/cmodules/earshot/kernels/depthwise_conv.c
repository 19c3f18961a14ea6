// int8 DEPTHWISE_CONV_2D (TFLite reference_integer_ops::DepthwiseConvPerChannel,
// FORMAT.md §3.1): output channel c = ic * M + m reads input channel ic.

#include "output_stage.h"

void es_depthwise_conv_s8(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t in_ch = p->in_ch;
    const int32_t out_ch = p->out_ch;
    const int32_t mult = p->depth_multiplier;
    const int32_t in_row = p->in_w * in_ch;
    const int32_t input_offset = p->input_offset;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * in_row;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            // Filter rows that fall inside the input for this output row.
            int32_t ky_begin = 0;
            while (ky_begin < p->filter_h && y0 + ky_begin * p->dilation_h < 0) {
                ++ky_begin;
            }
            int32_t ky_end = p->filter_h;
            while (ky_end > ky_begin && y0 + (ky_end - 1) * p->dilation_h >= p->in_h) {
                --ky_end;
            }
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                int32_t kx_begin = 0;
                while (kx_begin < p->filter_w && x0 + kx_begin * p->dilation_w < 0) {
                    ++kx_begin;
                }
                int32_t kx_end = p->filter_w;
                while (kx_end > kx_begin && x0 + (kx_end - 1) * p->dilation_w >= p->in_w) {
                    --kx_end;
                }
                for (int32_t ic = 0; ic < in_ch; ++ic) {
                    for (int32_t m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        int32_t acc = 0;
                        for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
                            const int32_t iy = y0 + ky * p->dilation_h;
                            const int8_t *in_y = in_b + iy * in_row + ic;
                            const int8_t *f_y = filter + (ky * p->filter_w) * out_ch + oc;
                            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
                                const int32_t ix = x0 + kx * p->dilation_w;
                                acc += (int32_t)f_y[kx * out_ch]
                                    * ((int32_t)in_y[ix * in_ch] + input_offset);
                            }
                        }
                        es_channel_t ch;
                        es_load_channel(&p->rq, oc, &ch);
                        *output++ = es_output_fixed(&p->rq, &ch, acc);
                    }
                }
            }
        }
    }
}
