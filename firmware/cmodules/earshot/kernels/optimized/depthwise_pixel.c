// Optimized int8 DEPTHWISE_CONV_2D with a single output pixel (depth multiplier 1).
//
// A streaming model (microWakeWord) runs each depthwise convolution on a window of exactly
// the filter's size ([1, H, 1, C] input, [1, H, 1, C] filter): one output per channel, so
// every input byte and filter byte is used once. The kernel of depthwise_conv.c prepares
// per chunk of channels (filter unpacked, input offset folded into the biases), which pays
// off over many pixels and costs more than the taps here. This one walks the taps of four
// channels at a time straight from the input and the filter: with the DSP extension a tap
// is an input word and a filter word, four SXTB16, two SADD16 (input offset) and
// SMLABB/SMLATT into the four accumulators.
// Bit-exact with kernels/depthwise_conv.c; other shapes go to es_depthwise_conv_s8_opt.

#include "kernels/optimized/opt_pixel.h"

#if !EARSHOT_KERNELS_REFERENCE

EARSHOT_OPT_SPEED

// The window: rows of `cols` taps; input and filter steps (bytes) between taps of a row and
// between rows.
typedef struct _es_pixel_taps_t {
    int32_t rows, cols;
    int32_t in_col, in_row;   // input
    int32_t f_col, f_row;     // filter
} es_pixel_taps_t;

#if EARSHOT_OPT_DSP
// One tap of four channels: the input word at i (then stepped by s) and the filter word
// at i + d.
#define ES_DWP_TAP \
    "ldr %[w], [%[i], %[d]]\n" \
    "ldr %[x], [%[i]]\n" \
    "add %[i], %[i], %[s]\n" \
    "sxtb16 %[y], %[x], ror #8\n" \
    "sxtb16 %[x], %[x]\n" \
    "sadd16 %[y], %[y], %[o]\n" \
    "sadd16 %[x], %[x], %[o]\n" \
    "sxtb16 %[v], %[w], ror #8\n" \
    "sxtb16 %[w], %[w]\n" \
    "smlabb %[a0], %[x], %[w], %[a0]\n" \
    "smlatt %[a2], %[x], %[w], %[a2]\n" \
    "smlabb %[a1], %[y], %[v], %[a1]\n" \
    "smlatt %[a3], %[y], %[v], %[a3]\n"

// acc[0..3] += the n taps (n >= 1) of four channels from input i and filter f, both
// stepping by s bytes per tap.
static inline void run_same_step(const int8_t *i, const int8_t *f, int32_t s, int32_t n,
    int32_t off2, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t x, y, w, v;
    const int32_t d = (int32_t)(f - i);
    int32_t m = n >> 1;
    if (m > 0) {
        __asm__ volatile ("1:\n" ES_DWP_TAP ES_DWP_TAP
            "subs %[m], %[m], #1\n"
            "bne 1b\n"
            : [a0] "+r" (a0), [a1] "+r" (a1), [a2] "+r" (a2), [a3] "+r" (a3), [i] "+r" (i),
            [m] "+r" (m), [x] "=&r" (x), [y] "=&r" (y), [w] "=&r" (w), [v] "=&r" (v)
            : [d] "r" (d), [s] "r" (s), [o] "r" (off2)
            : "cc", "memory");
    }
    if (n & 1) {
        __asm__ volatile (ES_DWP_TAP
            : [a0] "+r" (a0), [a1] "+r" (a1), [a2] "+r" (a2), [a3] "+r" (a3), [i] "+r" (i),
            [x] "=&r" (x), [y] "=&r" (y), [w] "=&r" (w), [v] "=&r" (v)
            : [d] "r" (d), [s] "r" (s), [o] "r" (off2)
            : "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

// One tap of four channels: input word at i, filter word at f.
static inline void tap4(const int8_t *i, const int8_t *f, int32_t off2, int32_t *acc) {
    const uint32_t xw = es_opt_rd32(i), ww = es_opt_rd32(f);
    const int32_t x02 = __sadd16(__sxtb16(xw), off2);
    const int32_t x13 = __sadd16(es_sxtb16_ror8(xw), off2);
    const int32_t w02 = __sxtb16(ww), w13 = es_sxtb16_ror8(ww);
    acc[0] = __smlabb(x02, w02, acc[0]);
    acc[2] = __smlatt(x02, w02, acc[2]);
    acc[1] = __smlabb(x13, w13, acc[1]);
    acc[3] = __smlatt(x13, w13, acc[3]);
}
#endif

// acc[0..3]: the window's sums of four channels starting at in and f.
__attribute__((noinline)) static void group4(const int8_t *in, const int8_t *f,
    const es_pixel_taps_t *t, int32_t offset, int32_t *acc) {
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
    #if EARSHOT_OPT_DSP
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
    if (t->cols == 1 && t->in_row == t->f_row) {
        run_same_step(in, f, t->in_row, t->rows, off2, acc);
        return;
    }
    if (t->in_col == t->f_col) {
        for (int32_t r = 0; r < t->rows; ++r) {
            run_same_step(in + r * t->in_row, f + r * t->f_row, t->in_col, t->cols, off2, acc);
        }
        return;
    }
    for (int32_t r = 0; r < t->rows; ++r) {
        for (int32_t c = 0; c < t->cols; ++c) {
            tap4(in + r * t->in_row + c * t->in_col, f + r * t->f_row + c * t->f_col, off2, acc);
        }
    }
    #else
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t r = 0; r < t->rows; ++r) {
        const int8_t *i = in + r * t->in_row, *g = f + r * t->f_row;
        for (int32_t c = t->cols; c > 0; --c, i += t->in_col, g += t->f_col) {
            a0 += g[0] * (i[0] + offset);
            a1 += g[1] * (i[1] + offset);
            a2 += g[2] * (i[2] + offset);
            a3 += g[3] * (i[3] + offset);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    #endif
}

bool es_depthwise_pixel_s8_opt(const es_conv_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output) {
    if (p->batches != 1 || p->out_h != 1 || p->out_w != 1 || p->depth_multiplier != 1
        || !es_pixel_window_inside(p)) {
        return false;
    }
    const int32_t ch = p->in_ch;
    es_pixel_taps_t t;
    t.rows = p->filter_h;
    t.cols = p->filter_w;
    t.in_col = p->dilation_w * ch;
    t.in_row = p->dilation_h * p->in_w * ch;
    t.f_col = ch;
    t.f_row = p->filter_w * ch;
    const int8_t *in = input + (size_t)(-p->pad_top) * p->in_w * ch + (-p->pad_left) * ch;
    es_pixel_out_t o;
    es_pixel_out_init(&p->rq, &o);
    const int32_t offset = es_pixel_input_offset(p);
    int32_t acc[ES_PIXEL_BLOCK];
    for (int32_t c0 = 0; c0 < ch; c0 += ES_PIXEL_BLOCK) {
        const int32_t n = ch - c0 < ES_PIXEL_BLOCK ? ch - c0 : ES_PIXEL_BLOCK;
        int32_t i = 0;
        for (; i + 4 <= n; i += 4) {
            group4(in + c0 + i, filter + c0 + i, &t, offset, acc + i);
        }
        for (; i < n; ++i) {
            const int32_t c = c0 + i;
            int32_t a = 0;
            for (int32_t r = 0; r < t.rows; ++r) {
                for (int32_t k = 0; k < t.cols; ++k) {
                    a += filter[c + r * t.f_row + k * t.f_col]
                        * (in[c + r * t.in_row + k * t.in_col] + offset);
                }
            }
            acc[i] = a;
        }
        es_pixel_out_run(&o, c0, acc, n, output + c0);
    }
    return true;
}

#endif // !EARSHOT_KERNELS_REFERENCE
