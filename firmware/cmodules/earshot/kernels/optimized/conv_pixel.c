// Optimized int8 CONV_2D with a single output pixel: a matrix-vector product.
//
// A streaming model (microWakeWord) runs each convolution on a window of exactly the
// filter's size, so the output is one pixel (1x1 convolutions on one pixel too). The
// im2col engine of conv.c computes two pixels per pass and would do half its work for
// nothing; here the receptive field becomes one int16 column (input + input offset) and
// every output channel is the dot product of its filter row with it. With the DSP
// extension four channels per pass: each 4-deep step costs one LDRD of the column (in
// SXTB16's lane order), four filter words, eight SXTB16 and eight SMLAD for 16 MACs.
// Without it, four channels per pass with one multiply-accumulate per MAC.
// Bit-exact with kernels/conv.c; other shapes go to es_conv_s8_opt.

#include "kernels/optimized/opt_pixel.h"
#include "model_format.h"

#if !EARSHOT_KERNELS_REFERENCE

EARSHOT_OPT_SPEED

// Longest receptive field (entries) of the column on the stack; longer ones are not taken.
#define ES_PIXEL_COLUMN (512)

// RoundingDivideByPOT(SRDHM(x, multiplier), right) as the reference computes it.
__attribute__((noinline)) static int32_t scale_general(int32_t x, int32_t multiplier,
    int32_t right) {
    return es_rdbp(es_srdhm(x, multiplier), right);
}

// For -2^30 < x < 2^30 (every accumulator of a real model) the doubling high multiply is
// SMMULR(2x, m) and the rounding shift one add and shift (opt_common.h es_opt_scale); other
// values take the reference's path. The shift is clamped to [-31, 30] as output_stage.h does.
// The prepared stage (FORMAT.md §3.1): x2 = 2 * acc + bias2 needs no range check (the
// converter proved |x2| < 2^31), SMMULR(x2, m) is the doubling high multiply, the round
// constant holds the output zero point. Values come from the model's constant data, which
// may change after the checks: arithmetic wraps and the shift is masked, so a changed value
// changes results, nothing else.
static void out_prepared(const uint8_t *s, int32_t lo, int32_t hi, const int32_t *acc,
    int32_t n, int8_t *output) {
    for (int32_t i = 0; i < n; ++i, s += ES_STAGE_RECORD_SIZE) {
        const uint32_t x2 = 2u * (uint32_t)acc[i] + (uint32_t)es_rd_i32(s);
        const int32_t m = es_rd_i32(s + 4);
        int32_t high;
        #if EARSHOT_OPT_DSP
        __asm__ ("smmulr %0, %1, %2" : "=r" (high) : "r" (x2), "r" (m));
        #else
        high = (int32_t)(((int64_t)(int32_t)x2 * m + ((int64_t)1 << 31)) >> 32);
        #endif
        const uint32_t sum = (uint32_t)high + (uint32_t)es_rd_i32(s + 8) - ((uint32_t)high >> 31);
        int32_t v = (int32_t)sum >> (es_rd_u32(s + 12) & 31);
        v = v < lo ? lo : (v > hi ? hi : v);
        output[i] = (int8_t)v;
    }
}

void es_pixel_out_run(const es_pixel_out_t *o, int32_t c0, const int32_t *acc, int32_t n,
    int8_t *output) {
    if (o->stage) {
        out_prepared(o->stage + (size_t)ES_STAGE_RECORD_SIZE * c0, o->act_min, o->act_max, acc, n,
            output);
        return;
    }
    const uint32_t bias_step = o->bias_step, step = o->step;
    const uint8_t *bp = o->bias + bias_step * (uint32_t)c0;
    const uint8_t *mp = o->multipliers + step * (uint32_t)c0;
    const uint8_t *sp = o->shifts + step * (uint32_t)c0;
    const int32_t lo = o->lo, hi = o->hi, zp = o->zp;
    for (int32_t i = 0; i < n; ++i, bp += bias_step, mp += step, sp += step) {
        const int32_t m = es_rd_i32(mp);
        int32_t shift = es_rd_i32(sp);
        shift = shift < -31 ? -31 : (shift > 30 ? 30 : shift);
        int32_t x = es_wrap_add(acc[i], es_rd_i32(bp));
        int32_t right = -shift;
        if (shift > 0) {
            x = es_wrap_shl(x, shift);
            right = 0;
        }
        int32_t v;
        if (x > -(1 << 30) && x < (1 << 30)) {
            int32_t high;
            #if EARSHOT_OPT_DSP
            __asm__ ("smmulr %0, %1, %2" : "=r" (high) : "r" (x * 2), "r" (m));
            #else
            high = (int32_t)(((int64_t)x * m + ((int64_t)1 << 30)) >> 31);
            #endif
            const int32_t round = (int32_t)(((uint32_t)1 << right) >> 1);
            v = (high + round - (int32_t)((uint32_t)high >> 31 & (right > 0))) >> right;
        } else {
            v = scale_general(x, m, right);
        }
        v = v < lo ? lo : (v > hi ? hi : v);
        output[i] = (int8_t)(v + zp);
    }
}

// The column: the first k4 entries as int16 pairs (with the DSP extension in SXTB16's lane
// order: entries 0, 2 then 1, 3 of every group of four), the rest one int16 each.
typedef struct _es_pixel_column_t {
    uint32_t w[ES_PIXEL_COLUMN / 2];
} es_pixel_column_t;

typedef int16_t es_pixel_i16_t __attribute__((may_alias));

// The receptive field's bytes in filter order: the input itself when the window is one
// contiguous run, else gathered into `gather`.
static const int8_t *receptive_field(const es_conv_params_t *p, const int8_t *input,
    int8_t *stage) {
    const int32_t in_ch = p->in_ch;
    const int32_t in_row = p->in_w * in_ch;
    const int8_t *start = input + (size_t)(-p->pad_top) * in_row + (-p->pad_left) * in_ch;
    const int32_t row_len = p->filter_w * in_ch;
    const bool row_runs = p->dilation_w == 1 || p->filter_w == 1;
    if (row_runs && (p->filter_h == 1 || (row_len == in_row && p->dilation_h == 1))) {
        return start;
    }
    int8_t *d = stage;
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int8_t *row = start + (size_t)ky * p->dilation_h * in_row;
        if (row_runs) {
            memcpy(d, row, row_len);
            d += row_len;
            continue;
        }
        for (int32_t kx = 0; kx < p->filter_w; ++kx, d += in_ch) {
            memcpy(d, row + (size_t)kx * p->dilation_w * in_ch, in_ch);
        }
    }
    return stage;
}

// The column of the k_len bytes at src plus offset.
static void column_make(const int8_t *src, int32_t k_len, int32_t k4, int32_t offset,
    es_pixel_column_t *col) {
    int32_t k = 0;
    #if EARSHOT_OPT_DSP
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
    uint32_t *d = col->w;
    for (; k < k4; k += 4, d += 2) {
        const uint32_t x = es_opt_rd32(src + k);
        d[0] = (uint32_t)__sadd16(__sxtb16(x), off2);
        d[1] = (uint32_t)__sadd16(es_sxtb16_ror8(x), off2);
    }
    #else
    (void)k4;
    #endif
    es_pixel_i16_t *h = (es_pixel_i16_t *)col->w;
    for (; k < k_len; ++k) {
        h[k] = (int16_t)(src[k] + offset);
    }
}

#if EARSHOT_OPT_DSP
// One 4-deep step of one channel: the filter word at `addr` against the column pair c0, c1.
#define ES_PX_CH(addr, a) \
    "ldr %[wv], " addr "\n" \
    "sxtb16 %[t], %[wv]\n" \
    "smlad %[" a "], %[t], %[c0], %[" a "]\n" \
    "sxtb16 %[wv], %[wv], ror #8\n" \
    "smlad %[" a "], %[wv], %[c1], %[" a "]\n"
// Four channels (rows k_len apart, the first at w, post-incremented).
#define ES_PX_STEP4 \
    "ldrd %[c0], %[c1], [%[x]], #8\n" \
    ES_PX_CH("[%[w], %[k]]", "a1") \
    ES_PX_CH("[%[w], %[k], lsl #1]", "a2") \
    ES_PX_CH("[%[w], %[k3]]", "a3") \
    ES_PX_CH("[%[w]], #4", "a0")
#define ES_PX_OPERANDS4 \
    : [a0] "+r" (a0), [a1] "+r" (a1), [a2] "+r" (a2), [a3] "+r" (a3), \
    [w] "+r" (wp), [x] "+r" (x), [n] "+r" (n), \
    [wv] "=&r" (wv), [t] "=&r" (t), [c0] "=&r" (c0), [c1] "=&r" (c1) \
    : [k] "r" (k_len), [k3] "r" (3 * k_len) \
    : "cc", "memory"
#define ES_PX_STEP1 \
    "ldrd %[c0], %[c1], [%[x]], #8\n" \
    ES_PX_CH("[%[w]], #4", "a0")
#define ES_PX_OPERANDS1 \
    : [a0] "+r" (a0), [w] "+r" (wp), [x] "+r" (x), [n] "+r" (n), \
    [wv] "=&r" (wv), [t] "=&r" (t), [c0] "=&r" (c0), [c1] "=&r" (c1) \
    : \
    : "cc", "memory"

// acc[0..3]: the dot products of the four filter rows at w (k_len bytes apart) with the
// column's first 4 * steps entries.
__attribute__((noinline)) static void dot4(const int8_t *w, int32_t k_len, int32_t steps,
    const es_pixel_column_t *col, int32_t *acc) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int8_t *wp = w;
    const uint32_t *x = col->w;
    int32_t wv, t, c0, c1;
    int32_t n = steps >> 1;
    if (n > 0) {
        __asm__ volatile ("1:\n" ES_PX_STEP4 ES_PX_STEP4
            "subs %[n], %[n], #1\n"
            "bne 1b\n" ES_PX_OPERANDS4);
    }
    if (steps & 1) {
        __asm__ volatile (ES_PX_STEP4 ES_PX_OPERANDS4);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

// The dot product of one filter row with the column's first 4 * steps entries.
__attribute__((noinline)) static int32_t dot1(const int8_t *w, int32_t steps,
    const es_pixel_column_t *col) {
    int32_t a0 = 0;
    const int8_t *wp = w;
    const uint32_t *x = col->w;
    int32_t wv, t, c0, c1;
    int32_t n = steps;
    __asm__ volatile ("1:\n" ES_PX_STEP1
        "subs %[n], %[n], #1\n"
        "bne 1b\n" ES_PX_OPERANDS1);
    return a0;
}
#else
// acc[0..3]: the dot products of the four filter rows at w (k_len bytes apart) with the
// column's k_len entries.
__attribute__((noinline)) static void dot4(const int8_t *w, int32_t k_len,
    const es_pixel_column_t *col, int32_t *acc) {
    const es_pixel_i16_t *x = (const es_pixel_i16_t *)col->w;
    const int8_t *w1 = w + k_len, *w2 = w1 + k_len, *w3 = w2 + k_len;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t k = 0; k < k_len; ++k) {
        const int32_t v = x[k];
        a0 += w[k] * v;
        a1 += w1[k] * v;
        a2 += w2[k] * v;
        a3 += w3[k] * v;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

// The column's entries k4 .. k_len - 1 (stored one int16 each) against a filter row.
static inline int32_t dot_tail(const int8_t *w, int32_t k4, int32_t k_len,
    const es_pixel_column_t *col) {
    const es_pixel_i16_t *x = (const es_pixel_i16_t *)col->w;
    int32_t a = 0;
    for (int32_t k = k4; k < k_len; ++k) {
        a += w[k] * x[k];
    }
    return a;
}

bool es_conv_pixel_s8_opt(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t k_len = p->filter_h * p->filter_w * p->in_ch;
    if (p->batches != 1 || p->out_h != 1 || p->out_w != 1 || k_len > ES_PIXEL_COLUMN
        || !es_pixel_window_inside(p)) {
        return false;
    }
    int8_t gather[ES_PIXEL_COLUMN];
    es_pixel_column_t col;
    // Entries of the paired (SXTB16) part of the column; the dot products cover them, or
    // all entries without the DSP extension; dot_tail the rest.
    const int32_t k4 = EARSHOT_OPT_DSP ? (k_len & ~3) : 0;
    const int32_t done = EARSHOT_OPT_DSP ? k4 : k_len;
    column_make(receptive_field(p, input, gather), k_len, k4, es_pixel_input_offset(p), &col);
    es_pixel_out_t o;
    es_pixel_out_init(&p->rq, &o);
    const int32_t out_ch = p->out_ch;
    int32_t acc[ES_PIXEL_BLOCK];
    for (int32_t c0 = 0; c0 < out_ch; c0 += ES_PIXEL_BLOCK) {
        const int32_t n = out_ch - c0 < ES_PIXEL_BLOCK ? out_ch - c0 : ES_PIXEL_BLOCK;
        const int8_t *w = filter + (size_t)c0 * k_len;
        int32_t i = 0;
        for (; i + 4 <= n; i += 4, w += 4 * k_len) {
            #if EARSHOT_OPT_DSP
            if (k4 > 0) {
                dot4(w, k_len, k4 >> 2, &col, acc + i);
            } else {
                acc[i] = acc[i + 1] = acc[i + 2] = acc[i + 3] = 0;
            }
            #else
            dot4(w, k_len, &col, acc + i);
            #endif
            if (done < k_len) {
                for (int32_t j = 0; j < 4; ++j) {
                    acc[i + j] += dot_tail(w + j * k_len, done, k_len, &col);
                }
            }
        }
        for (; i < n; ++i, w += k_len) {
            #if EARSHOT_OPT_DSP
            acc[i] = (k4 > 0 ? dot1(w, k4 >> 2, &col) : 0) + dot_tail(w, k4, k_len, &col);
            #else
            acc[i] = dot_tail(w, 0, k_len, &col);
            #endif
        }
        es_pixel_out_run(&o, c0, acc, n, output + c0);
    }
    return true;
}

#endif // !EARSHOT_KERNELS_REFERENCE
