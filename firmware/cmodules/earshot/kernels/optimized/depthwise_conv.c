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

// The first filter tap of a window starting at `start` that falls inside the input, and
// the end of the run of inside taps.
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

// The valid taps of one output pixel's window: rows x cols taps, and the strides between
// them in the input and in the filter (bytes).
typedef struct _es_taps_t {
    int32_t rows, cols;
    int32_t in_step_y, in_step_x;
    int32_t f_step_y, f_step_x;
    int32_t offset;
} es_taps_t;

// One tap of four channels: input word at i, filter word at g.
#if EARSHOT_OPT_DSP
#define ES_TAP4(i, g) do { \
        const uint32_t xv_ = es_opt_rd32(i); \
        const uint32_t wv_ = es_opt_rd32(g); \
        const int32_t x02_ = __sadd16(__sxtb16(xv_), off2); \
        const int32_t w02_ = __sxtb16(wv_); \
        a0 = __smlabb(x02_, w02_, a0); \
        a2 = __smlatt(x02_, w02_, a2); \
        const int32_t x13_ = __sadd16(es_sxtb16_ror8(xv_), off2); \
        const int32_t w13_ = es_sxtb16_ror8(wv_); \
        a1 = __smlabb(x13_, w13_, a1); \
        a3 = __smlatt(x13_, w13_, a3); \
} while (0)
#else
#define ES_TAP4(i, g) do { \
        const int8_t *i_ = (i); \
        const int8_t *g_ = (g); \
        a0 += g_[0] * (i_[0] + offset); \
        a1 += g_[1] * (i_[1] + offset); \
        a2 += g_[2] * (i_[2] + offset); \
        a3 += g_[3] * (i_[3] + offset); \
} while (0)
#endif

// acc[0..3] = sum over the taps of filter * (input + offset) for the four channels at in, f.
__attribute__((noinline)) static void taps_4(const int8_t *in, const int8_t *f,
    const es_taps_t *t, int32_t *acc) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int32_t sx = t->in_step_x;
    const int32_t fx = t->f_step_x;
    #if EARSHOT_OPT_DSP
    const int32_t off2 = (int32_t)(((uint32_t)t->offset & 0xffffu) | ((uint32_t)t->offset << 16));
    #else
    const int32_t offset = t->offset;
    #endif
    if (t->cols == 3 && sx == fx) {
        // Rows of three taps (3x3 windows), unrolled; input and filter share the step.
        const int32_t s2 = 2 * sx;
        for (int32_t r = t->rows; r > 0; --r) {
            ES_TAP4(in, f);
            ES_TAP4(in + sx, f + sx);
            ES_TAP4(in + s2, f + s2);
            in += t->in_step_y;
            f += t->f_step_y;
        }
    } else {
        for (int32_t r = t->rows; r > 0; --r) {
            const int8_t *i = in;
            const int8_t *g = f;
            for (int32_t c = t->cols; c > 0; --c) {
                ES_TAP4(i, g);
                i += sx;
                g += fx;
            }
            in += t->in_step_y;
            f += t->f_step_y;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

// The same for one channel.
static int32_t taps_1(const int8_t *in, const int8_t *f, const es_taps_t *t) {
    int32_t acc = 0;
    for (int32_t r = 0; r < t->rows; ++r) {
        for (int32_t c = 0; c < t->cols; ++c) {
            acc += f[c * t->f_step_x] * (in[c * t->in_step_x] + t->offset);
        }
        in += t->in_step_y;
        f += t->f_step_y;
    }
    return acc;
}

static void depthwise_mult1(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t ch = p->in_ch;
    const int32_t in_row = p->in_w * ch;
    es_taps_t t;
    t.in_step_y = p->dilation_h * in_row;
    t.in_step_x = p->dilation_w * ch;
    t.f_step_y = p->filter_w * ch;
    t.f_step_x = ch;
    t.offset = p->input_offset;
    es_opt_out_t o;
    es_opt_out_init(&p->rq, &o);
    es_opt_table_t table;
    es_opt_table_init(&p->rq, ch, &table);
    int32_t acc[ES_OPT_DW_CHANNELS];
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * in_row;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ky_begin = first_inside(y0, p->filter_h, p->dilation_h);
            const int32_t ky_end = end_inside(y0, ky_begin, p->filter_h, p->dilation_h, p->in_h);
            t.rows = ky_end - ky_begin;
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t kx_begin = first_inside(x0, p->filter_w, p->dilation_w);
                const int32_t kx_end = end_inside(x0, kx_begin, p->filter_w, p->dilation_w, p->in_w);
                t.cols = kx_end - kx_begin;
                // The first valid tap of the window, channel 0 (only formed when there is one).
                const int8_t *in0 = in_b;
                const int8_t *f0 = filter;
                if (t.rows > 0 && t.cols > 0) {
                    in0 += (y0 + ky_begin * p->dilation_h) * in_row
                        + (x0 + kx_begin * p->dilation_w) * ch;
                    f0 += ky_begin * t.f_step_y + kx_begin * ch;
                } else {
                    t.rows = 0;
                }
                // Accumulators of every channel first, then the output stage in one pass
                // over the channel table.
                int32_t c = 0;
                for (; c + 4 <= ch; c += 4) {
                    taps_4(in0 + c, f0 + c, &t, &acc[c]);
                }
                for (; c < ch; ++c) {
                    acc[c] = taps_1(in0 + c, f0 + c, &t);
                }
                const int32_t lo = o.lo, hi = o.hi, zp = o.offset;
                for (c = 0; c < table.count; ++c) {
                    const es_opt_ch_t q = table.ch[c];
                    int32_t v = es_opt_scale(acc[c], &q);
                    v = v < lo ? lo : (v > hi ? hi : v);
                    output[c] = (int8_t)(v + zp);
                }
                for (; c < ch; ++c) {
                    es_opt_ch_t q;
                    es_opt_load_channel(&p->rq, c, &q);
                    output[c] = es_opt_out(&o, es_opt_scale(acc[c], &q));
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
    if (p->depth_multiplier == 1 && p->in_ch <= ES_OPT_DW_CHANNELS) {
        depthwise_mult1(p, input, filter, output);
        return;
    }
    es_depthwise_conv_s8(p, input, filter, output);
}

#endif // !EARSHOT_KERNELS_REFERENCE
