// Optimized int8 DEPTHWISE_CONV_2D.
// - One input channel (depth multiplier M): a CONV_2D with M output channels whose filter
//   is the depthwise filter transposed; it runs on the im2col engine of conv.c.
// - Depth multiplier 1: four channels per pass over the window's valid taps (bounds are
//   resolved once per output pixel). With the DSP extension one word load brings four
//   input bytes, SXTB16 unpacks them and SMLABB/SMLATT accumulate per channel.
// Other shapes (multiplier > 1 with several input channels, large windows) use the
// reference kernel, kernels/depthwise_conv.c, with which all paths are bit-exact.

#include "kernels/optimized/opt_common.h"

#if !EARSHOT_KERNELS_REFERENCE

EARSHOT_OPT_SPEED

#include "kernels/optimized/opt_conv.h"

// The filter taps [ky_begin, ky_end) x [kx_begin, kx_end) of the window at (y0, x0) that
// fall inside the input.
typedef struct _es_window_t {
    int32_t ky_begin, ky_end, kx_begin, kx_end;
} es_window_t;

static int32_t first_inside(int32_t start, int32_t taps, int32_t dilation) {
    int32_t k = 0;
    while (k < taps && start + k * dilation < 0) {
        ++k;
    }
    return k;
}

static int32_t end_inside(int32_t start, int32_t begin, int32_t taps, int32_t dilation,
    int32_t size) {
    int32_t k = taps;
    while (k > begin && start + (k - 1) * dilation >= size) {
        --k;
    }
    return k;
}

static void depthwise_mult1(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t ch = p->in_ch;
    const int32_t in_row = p->in_w * ch;
    const int32_t step_y = p->dilation_h * in_row;
    const int32_t step_x = p->dilation_w * ch;
    const int32_t f_row = p->filter_w * ch;
    const int32_t offset = p->input_offset;
    es_opt_out_t o;
    es_opt_out_init(&p->rq, &o);
    #if EARSHOT_OPT_DSP
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
    #endif
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * in_row;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            es_window_t win;
            win.ky_begin = first_inside(y0, p->filter_h, p->dilation_h);
            win.ky_end = end_inside(y0, win.ky_begin, p->filter_h, p->dilation_h, p->in_h);
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                win.kx_begin = first_inside(x0, p->filter_w, p->dilation_w);
                win.kx_end = end_inside(x0, win.kx_begin, p->filter_w, p->dilation_w, p->in_w);
                const int32_t taps_x = win.kx_end - win.kx_begin;
                // First valid tap of the window, channel 0.
                const int8_t *in0 = in_b + (y0 + win.ky_begin * p->dilation_h) * in_row
                    + (x0 + win.kx_begin * p->dilation_w) * ch;
                const int8_t *f0 = filter + win.ky_begin * f_row + win.kx_begin * ch;
                int32_t c = 0;
                for (; c + 4 <= ch; c += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    const int8_t *in_y = in0 + c;
                    const int8_t *f_y = f0 + c;
                    for (int32_t ky = win.ky_begin; ky < win.ky_end; ++ky) {
                        const int8_t *in_x = in_y;
                        const int8_t *f_x = f_y;
                        for (int32_t t = 0; t < taps_x; ++t) {
                            #if EARSHOT_OPT_DSP
                            const uint32_t xv = es_opt_rd32(in_x);
                            const uint32_t wv = es_opt_rd32(f_x);
                            const int32_t x02 = __sadd16(__sxtb16(xv), off2);
                            const int32_t x13 = __sadd16(es_sxtb16_ror8(xv), off2);
                            const int32_t w02 = __sxtb16(wv);
                            const int32_t w13 = es_sxtb16_ror8(wv);
                            a0 = __smlabb(x02, w02, a0);
                            a2 = __smlatt(x02, w02, a2);
                            a1 = __smlabb(x13, w13, a1);
                            a3 = __smlatt(x13, w13, a3);
                            #else
                            a0 += f_x[0] * (in_x[0] + offset);
                            a1 += f_x[1] * (in_x[1] + offset);
                            a2 += f_x[2] * (in_x[2] + offset);
                            a3 += f_x[3] * (in_x[3] + offset);
                            #endif
                            in_x += step_x;
                            f_x += ch;
                        }
                        in_y += step_y;
                        f_y += f_row;
                    }
                    es_opt_ch_t q;
                    es_opt_load_channel(&p->rq, c, &q);
                    output[c] = es_opt_out(&o, es_opt_scale(a0, &q));
                    es_opt_load_channel(&p->rq, c + 1, &q);
                    output[c + 1] = es_opt_out(&o, es_opt_scale(a1, &q));
                    es_opt_load_channel(&p->rq, c + 2, &q);
                    output[c + 2] = es_opt_out(&o, es_opt_scale(a2, &q));
                    es_opt_load_channel(&p->rq, c + 3, &q);
                    output[c + 3] = es_opt_out(&o, es_opt_scale(a3, &q));
                }
                for (; c < ch; ++c) {
                    int32_t acc = 0;
                    const int8_t *in_y = in0 + c;
                    const int8_t *f_y = f0 + c;
                    for (int32_t ky = win.ky_begin; ky < win.ky_end; ++ky) {
                        for (int32_t t = 0; t < taps_x; ++t) {
                            acc += f_y[t * ch] * (in_y[t * step_x] + offset);
                        }
                        in_y += step_y;
                        f_y += f_row;
                    }
                    es_opt_ch_t q;
                    es_opt_load_channel(&p->rq, c, &q);
                    output[c] = es_opt_out(&o, es_opt_scale(acc, &q));
                }
                output += ch;
            }
        }
    }
}

void es_depthwise_conv_s8_opt(const es_conv_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output) {
    const int32_t taps = p->filter_h * p->filter_w;
    if (p->in_ch == 1 && es_opt_conv_supported(p)
        && taps * p->out_ch <= ES_OPT_FILTER_BYTES) {
        // filter [1, KH, KW, M] -> [M, KH, KW, 1].
        int8_t transposed[ES_OPT_FILTER_BYTES];
        const int32_t m = p->out_ch;
        for (int32_t oc = 0; oc < m; ++oc) {
            for (int32_t k = 0; k < taps; ++k) {
                transposed[oc * taps + k] = filter[k * m + oc];
            }
        }
        es_opt_conv_im2col(p, input, transposed, output);
        return;
    }
    if (p->depth_multiplier == 1) {
        depthwise_mult1(p, input, filter, output);
        return;
    }
    es_depthwise_conv_s8(p, input, filter, output);
}

#endif // !EARSHOT_KERNELS_REFERENCE
