// int8 CONV_2D (TFLite reference_integer_ops::ConvPerChannel, FORMAT.md §3.1).

#include "output_stage.h"

void es_conv_s8(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t in_ch = p->in_ch;
    const int32_t filter_per_out = p->filter_h * p->filter_w * in_ch;
    const int32_t in_row = p->in_w * in_ch;
    const int32_t input_offset = p->input_offset;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * in_row;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                for (int32_t oc = 0; oc < p->out_ch; ++oc) {
                    const int8_t *f_oc = filter + (size_t)oc * filter_per_out;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
                        const int32_t iy = y0 + ky * p->dilation_h;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        const int8_t *in_y = in_b + iy * in_row;
                        const int8_t *f_y = f_oc + ky * p->filter_w * in_ch;
                        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                            const int32_t ix = x0 + kx * p->dilation_w;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            const int8_t *in_px = in_y + ix * in_ch;
                            const int8_t *f_px = f_y + kx * in_ch;
                            for (int32_t ic = 0; ic < in_ch; ++ic) {
                                acc += (int32_t)f_px[ic] * ((int32_t)in_px[ic] + input_offset);
                            }
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
