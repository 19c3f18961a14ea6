// Optimized int8 DEPTHWISE_CONV_2D.
// - One input channel (depth multiplier M): a CONV_2D with M output channels whose filter
//   is the depthwise filter transposed; it runs on the im2col engine of conv.c.
// - Depth multiplier 1: groups of four channels per pass over the window, in chunks of
//   channels whose filter fits a stack scratch. The input offset is folded into the
//   per-channel bias (offset * sum of the filter), so the taps multiply raw input bytes;
//   pixels whose window hangs over the padding run on a copy of the window with the zero
//   point outside. With the DSP extension one word load brings four input bytes, SXTB16
//   unpacks them and SMLABB/SMLATT accumulate against the filter unpacked once per chunk
//   (3x3 and one-tap-wide windows have their own loops). The output stage is the lean one
//   of opt_common.h.
// Other shapes (multiplier > 1 with several input channels, windows over ES_OPT_DW_TAPS
// taps, operators whose output stage range cannot be proven) use the reference kernel,
// kernels/depthwise_conv.c, with which all paths are bit-exact.

#include "kernels/optimized/opt_common.h"

#if !EARSHOT_KERNELS_REFERENCE

EARSHOT_OPT_SPEED

#include "kernels/optimized/opt_conv.h"
#include "kernels/optimized/opt_m0.h"

// Windows of up to this many taps (larger: the reference kernel).
#define ES_OPT_DW_TAPS (ES_DW_PATCH_BYTES / 4)

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

// The filter words of the four-channel groups. With the DSP extension every group's taps
// are unpacked once per chunk of channels into a stack scratch, two words per tap (channels
// 0, 2 and 1, 3 as int16 pairs, SXTB16's order), so a tap costs one input load, one LDRD,
// two SXTB16 and four SMLAxy; without it the four bytes of each tap are gathered into a
// scratch in the same group-major order (one base pointer, immediate offsets).
#if EARSHOT_OPT_DSP
typedef uint32_t es_dw_filter_t;
#define ES_DW_TAP_WORDS (2)
#define ES_DW_SCRATCH_WORDS (384)
#else
typedef int8_t es_dw_filter_t;
#endif
// Bytes of the window copy of a border pixel (taps x channels of a chunk).
#define ES_DW_PATCH_BYTES (768)

// The window of one output pixel: filter_h x filter_w taps, the strides between them in
// the input (bytes), and the filter step from one group of four channels to the next
// (es_dw_filter_t units; the taps of a group follow each other).
typedef struct _es_taps_t {
    int32_t rows, cols;
    int32_t in_step_y, in_step_x;
    int32_t f_group;
} es_taps_t;

#if EARSHOT_OPT_DSP
// One tap of four channels: input word at addr, filter words at g (post-incremented).
#define ES_DW_TAP(addr) \
    "ldr %[x], " addr "\n" \
    "ldrd %[w0], %[w1], [%[g]], #8\n" \
    "sxtb16 %[y], %[x], ror #8\n" \
    "sxtb16 %[x], %[x]\n" \
    "smlabb %[a0], %[x], %[w0], %[a0]\n" \
    "smlatt %[a2], %[x], %[w0], %[a2]\n" \
    "smlabb %[a1], %[y], %[w1], %[a1]\n" \
    "smlatt %[a3], %[y], %[w1], %[a3]\n"
#define ES_DW_ROW3 \
    ES_DW_TAP("[%[i]]") ES_DW_TAP("[%[i], %[sx]]") ES_DW_TAP("[%[i], %[sx], lsl #1]")
#define ES_DW_OPERANDS \
    : [a0] "+r" (a0), [a1] "+r" (a1), [a2] "+r" (a2), [a3] "+r" (a3), \
    [i] "+r" (i), [g] "+r" (g), [n] "+r" (n), \
    [x] "=&r" (x), [y] "=&r" (y), [w0] "=&r" (w0), [w1] "=&r" (w1) \
    : [sx] "r" (sx), [sy] "r" (sy) \
    : "cc", "memory"
#endif

#if EARSHOT_OPT_DSP
// 3x3 windows: no row loop; the filter words of the groups follow each other.
__attribute__((noinline)) static void taps_3x3(const int8_t *in, const uint32_t *g, int32_t sx,
    int32_t sy, int32_t groups, int32_t *acc) {
    for (; groups > 0; --groups, in += 4, acc += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *i = in;
        int32_t x, y, w0, w1, n = 0;
        __asm__ volatile (ES_DW_ROW3 "add %[i], %[i], %[sy]\n" ES_DW_ROW3
            "add %[i], %[i], %[sy]\n" ES_DW_ROW3 ES_DW_OPERANDS);
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    }
}

// Windows one tap wide.
__attribute__((noinline)) static void taps_col(const int8_t *in, const uint32_t *g, int32_t rows,
    int32_t sy, int32_t groups, int32_t *acc) {
    const int32_t sx = 0;
    for (; groups > 0; --groups, in += 4, acc += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *i = in;
        int32_t x, y, w0, w1, n = rows;
        __asm__ volatile ("1:\n" ES_DW_TAP("[%[i]]") "add %[i], %[i], %[sy]\n"
            "subs %[n], %[n], #1\n"
            "bne 1b\n" ES_DW_OPERANDS);
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    }
}
#endif

// acc[4 * g + 0..3] = sum over the window of filter * input for `groups` groups of four
// channels starting at in, f (the input offset is folded into the biases).
__attribute__((noinline)) static void taps_groups(const int8_t *in, const es_dw_filter_t *f,
    const es_taps_t *t, int32_t groups, int32_t *acc) {
    const int32_t rows = t->rows, cols = t->cols;
    const int32_t sx = t->in_step_x, sy = t->in_step_y;
    #if EARSHOT_OPT_DSP
    if (cols == 3 && rows == 3) {
        taps_3x3(in, f, sx, sy, groups, acc);
        return;
    }
    if (cols == 1) {
        taps_col(in, f, rows, sy, groups, acc);
        return;
    }
    #endif
    for (; groups > 0; --groups, in += 4, f += t->f_group, acc += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        #if EARSHOT_OPT_DSP
        const int8_t *i = in;
        const uint32_t *g = f;
        int32_t x, y, w0, w1;
        int32_t n = rows;
        if (cols == 3) {
            __asm__ volatile ("1:\n" ES_DW_ROW3 "add %[i], %[i], %[sy]\n"
                "subs %[n], %[n], #1\n"
                "bne 1b\n" ES_DW_OPERANDS);
        } else {
            for (int32_t r = rows; r > 0; --r) {
                const int8_t *p = i;
                int32_t m = cols;
                __asm__ volatile (
                    "1:\n"
                    "ldr %[x], [%[p]]\n"
                    "ldrd %[w0], %[w1], [%[g]], #8\n"
                    "add %[p], %[p], %[sx]\n"
                    "sxtb16 %[y], %[x], ror #8\n"
                    "sxtb16 %[x], %[x]\n"
                    "smlabb %[a0], %[x], %[w0], %[a0]\n"
                    "smlatt %[a2], %[x], %[w0], %[a2]\n"
                    "smlabb %[a1], %[y], %[w1], %[a1]\n"
                    "smlatt %[a3], %[y], %[w1], %[a3]\n"
                    "subs %[n], %[n], #1\n"
                    "bne 1b\n"
                    : [a0] "+r" (a0), [a1] "+r" (a1), [a2] "+r" (a2), [a3] "+r" (a3),
                    [p] "+r" (p), [g] "+r" (g), [n] "+r" (m),
                    [x] "=&r" (x), [y] "=&r" (y), [w0] "=&r" (w0), [w1] "=&r" (w1)
                    : [sx] "r" (sx)
                    : "cc", "memory");
                i += sy;
            }
        }
        #else
        const int8_t *i = in;
        const int8_t *g = f;
        #define ES_TAP4(x, k) do { \
            a0 += g[(k)] * (x)[0]; \
            a1 += g[(k) + 1] * (x)[1]; \
            a2 += g[(k) + 2] * (x)[2]; \
            a3 += g[(k) + 3] * (x)[3]; \
} while (0)
        if (cols == 3) {
            for (int32_t r = rows; r > 0; --r, i += sy, g += 12) {
                ES_TAP4(i, 0);
                ES_TAP4(i + sx, 4);
                ES_TAP4(i + 2 * sx, 8);
            }
        } else if (cols == 1) {
            for (int32_t r = rows; r > 0; --r, i += sy, g += 4) {
                ES_TAP4(i, 0);
            }
        } else {
            for (int32_t r = rows; r > 0; --r, i += sy) {
                for (int32_t c = 0; c < cols; ++c, g += 4) {
                    ES_TAP4(i + c * sx, 0);
                }
            }
        }
        #undef ES_TAP4
        #endif
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    }
}

// One channel with the input offset over the valid taps (rows x cols from in, f); steps
// in bytes of the input and of the original filter.
static int32_t taps_1(const int8_t *in, const int8_t *f, int32_t rows, int32_t cols,
    const es_taps_t *t, int32_t f_step_y, int32_t f_step_x, int32_t offset) {
    int32_t acc = 0;
    for (int32_t r = 0; r < rows; ++r) {
        for (int32_t c = 0; c < cols; ++c) {
            acc += f[c * f_step_x] * (in[c * t->in_step_x] + offset);
        }
        in += t->in_step_y;
        f += f_step_y;
    }
    return acc;
}

// words words from s (any alignment) to d; returns d + words. Aligned sources go by LDM/STM
// of four words where the core has them.
static uint32_t *copy_words(uint32_t *d, const int8_t *s, int32_t words) {
    #if defined(__thumb2__) && EARSHOT_LE_UNALIGNED_OK
    if (((uintptr_t)s & 3) == 0) {
        for (; words >= 4; words -= 4) {
            __asm__ volatile ("ldmia %[s]!, {r0-r3}\n"
                "stmia %[d]!, {r0-r3}\n"
                : [s] "+r" (s), [d] "+r" (d) : : "r0", "r1", "r2", "r3", "memory");
        }
    }
    #endif
    for (; words > 0; --words, s += 4) {
        *d++ = es_opt_rd32(s);
    }
    return d;
}

// words copies of v at d; returns d + words.
static uint32_t *fill_words(uint32_t *d, uint32_t v, int32_t words) {
    #if defined(__thumb2__)
    int32_t blocks = words >> 2;
    if (blocks > 0) {
        __asm__ volatile ("mov r0, %[v]\n"
            "mov r1, %[v]\n"
            "mov r2, %[v]\n"
            "mov r3, %[v]\n"
            "1:\n"
            "stmia %[d]!, {r0-r3}\n"
            "subs %[n], %[n], #1\n"
            "bne 1b\n"
            : [d] "+r" (d), [n] "+r" (blocks) : [v] "r" (v) : "r0", "r1", "r2", "r3", "cc", "memory");
        words &= 3;
    }
    #endif
    for (; words > 0; --words) {
        *d++ = v;
    }
    return d;
}

// Depth multiplier 1, channels [c0, c0 + n) (n <= ES_OPT_DW_CHANNELS, groups * 4 * taps <=
// ES_DW_PATCH_BYTES). The input offset of the groups of four channels is folded into their
// biases: offset * sum of the channel's filter. Pixels whose window hangs over the padding
// run on a copy of the window in which the outside taps hold the input zero point (whose
// input + offset is 0). The last channels of a count not a multiple of four add the offset
// per valid tap.
static void depthwise_chunk(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output, int32_t c0, int32_t n) {
    const int32_t ch = p->in_ch;
    const int32_t in_row = p->in_w * ch;
    const int32_t taps = p->filter_h * p->filter_w;
    const int32_t groups = n >> 2;
    const int32_t offset = p->input_offset;
    es_taps_t t;
    t.rows = p->filter_h;
    t.cols = p->filter_w;
    #if EARSHOT_OPT_DSP
    uint32_t scratch[ES_DW_SCRATCH_WORDS];
    for (int32_t g = 0; g < groups; ++g) {
        for (int32_t k = 0; k < taps; ++k) {
            const uint32_t w = es_opt_rd32(filter + k * ch + c0 + 4 * g);
            scratch[(g * taps + k) * 2] = (uint32_t)__sxtb16(w);
            scratch[(g * taps + k) * 2 + 1] = (uint32_t)es_sxtb16_ror8(w);
        }
    }
    const es_dw_filter_t *fw = scratch;
    t.f_group = ES_DW_TAP_WORDS * taps;
    #else
    int8_t scratch[ES_DW_PATCH_BYTES];
    for (int32_t g = 0; g < groups; ++g) {
        for (int32_t k = 0; k < taps; ++k) {
            for (int32_t j = 0; j < 4; ++j) {
                scratch[(g * taps + k) * 4 + j] = filter[k * ch + c0 + 4 * g + j];
            }
        }
    }
    const es_dw_filter_t *fw = scratch;
    t.f_group = 4 * taps;
    #endif
    es_opt_range_t range;
    es_opt_range_init(&p->rq, &range);
    // The chunk's output stage, with the folded biases of the channels of whole groups.
    es_opt_lean_t lean[ES_OPT_DW_CHANNELS];
    for (int32_t c = 0; c < n; ++c) {
        es_opt_lean_t *q = &lean[c];
        es_opt_lean_load(&p->rq, c0 + c, taps, q);
        if (c < groups * 4) {
            int32_t sum = 0;
            for (int32_t k = 0; k < taps; ++k) {
                sum += filter[k * ch + c0 + c];
            }
            q->bias = (int32_t)((uint32_t)q->bias + (uint32_t)(sum * offset) * (uint32_t)q->scale);
        }
    }
    uint32_t patch[ES_DW_PATCH_BYTES / 4];
    const uint32_t zp4 = (uint32_t)(uint8_t)-offset * 0x01010101u;
    const int32_t n4 = groups * 4;
    int32_t acc[ES_OPT_DW_CHANNELS];
    output += c0;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * in_row + c0;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ky_begin = first_inside(y0, p->filter_h, p->dilation_h);
            const int32_t ky_end = end_inside(y0, ky_begin, p->filter_h, p->dilation_h, p->in_h);
            const int32_t rows = ky_end - ky_begin;
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t kx_begin = first_inside(x0, p->filter_w, p->dilation_w);
                const int32_t kx_end = end_inside(x0, kx_begin, p->filter_w, p->dilation_w, p->in_w);
                const int32_t cols = kx_end - kx_begin;
                const bool interior = rows == p->filter_h && cols == p->filter_w;
                if (interior) {
                    t.in_step_y = p->dilation_h * in_row;
                    t.in_step_x = p->dilation_w * ch;
                    taps_groups(in_b + y0 * in_row + x0 * ch, fw, &t, groups, acc);
                } else if (n4 > 0) {
                    // The window with the zero point outside the input, by words.
                    uint32_t *d = patch;
                    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
                        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                            if (ky >= ky_begin && ky < ky_end && kx >= kx_begin && kx < kx_end) {
                                const int8_t *src = in_b + (y0 + ky * p->dilation_h) * in_row
                                    + (x0 + kx * p->dilation_w) * ch;
                                d = copy_words(d, src, n4 >> 2);
                            } else {
                                d = fill_words(d, zp4, n4 >> 2);
                            }
                        }
                    }
                    t.in_step_x = n4;
                    t.in_step_y = n4 * p->filter_w;
                    taps_groups((const int8_t *)patch, fw, &t, groups, acc);
                }
                if (n4 < n) {
                    // The first valid tap of the window (only formed when there is one).
                    const int8_t *in0 = in_b;
                    const int8_t *f0 = filter + c0;
                    if (rows > 0 && cols > 0) {
                        in0 += (y0 + ky_begin * p->dilation_h) * in_row
                            + (x0 + kx_begin * p->dilation_w) * ch;
                        f0 += (ky_begin * p->filter_w + kx_begin) * ch;
                    }
                    t.in_step_y = p->dilation_h * in_row;
                    t.in_step_x = p->dilation_w * ch;
                    for (int32_t c = n4; c < n; ++c) {
                        acc[c] = taps_1(in0 + c, f0 + c, rows > 0 ? rows : 0, cols, &t,
                            p->filter_w * ch, ch, offset);
                    }
                }
                const es_opt_range_t rl = range;
                int32_t c = 0;
                for (; c < n4; c += 4) {
                    es_opt_lean_out4(acc[c], acc[c + 1], acc[c + 2], acc[c + 3], &lean[c], &rl,
                        output + c);
                }
                for (; c < n; ++c) {
                    output[c] = es_opt_lean_out(acc[c], &lean[c], &rl);
                }
                output += ch;
            }
        }
    }
}

__attribute__((noinline)) static void depthwise_mult1(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t taps = p->filter_h * p->filter_w;
    int32_t chunk = ES_DW_PATCH_BYTES / taps & ~3;
    chunk = chunk < ES_OPT_DW_CHANNELS ? chunk : ES_OPT_DW_CHANNELS;
    for (int32_t c0 = 0; c0 < p->in_ch; c0 += chunk) {
        const int32_t n = p->in_ch - c0 < chunk ? p->in_ch - c0 : chunk;
        depthwise_chunk(p, input, filter, output, c0, n);
    }
}

// One input channel: the filter [1, KH, KW, M] transposed to [M, KH, KW, 1] (or unpacked)
// and run as a CONV_2D. Its own frame (noinline), so that the convolution's stack does not come on top
// of depthwise_mult1's.
__attribute__((noinline)) static bool depthwise_as_conv(const es_conv_params_t *p,
    const int8_t *input, const int8_t *filter, int8_t *output) {
    const int32_t taps = p->filter_h * p->filter_w;
    const int32_t m = p->out_ch;
    #if EARSHOT_OPT_DSP
    // Small filters (micro_speech's 8 x 80) are unpacked straight from [1, KH, KW, M], so the
    // GEMM skips its SXTB16s; the same words hold the transposed filter otherwise.
    uint32_t words[ES_OPT_XFILTER_WORDS];
    if (es_opt_conv_expand(filter, m, taps, 1, m, words, ES_OPT_XFILTER_WORDS)) {
        return es_opt_conv_im2col(p, input, NULL, words, output);
    }
    _Static_assert(sizeof(words) >= ES_OPT_FILTER_BYTES, "room for the transposed filter");
    int8_t *transposed = (int8_t *)words;
    #else
    int8_t transposed[ES_OPT_FILTER_BYTES];
    #endif
    for (int32_t oc = 0; oc < m; ++oc) {
        for (int32_t k = 0; k < taps; ++k) {
            transposed[oc * taps + k] = filter[k * m + oc];
        }
    }
    return es_opt_conv_im2col(p, input, transposed, NULL, output);
}

void es_depthwise_conv_s8_opt(const es_conv_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output) {
    const int32_t taps = p->filter_h * p->filter_w;
    #if EARSHOT_OPT_M0
    if (es_m0_depthwise_in1(p, input, filter, output)
        || es_m0_depthwise(p, input, filter, output)) {
        return;
    }
    #endif
    if (p->in_ch == 1 && es_opt_conv_supported(p)
        && taps * p->out_ch <= ES_OPT_FILTER_BYTES) {
        if (depthwise_as_conv(p, input, filter, output)) {
            return;
        }
    } else if (p->depth_multiplier == 1 && taps <= ES_OPT_DW_TAPS) {
        if (es_opt_lean_check(&p->rq, p->out_ch, taps)) {
            depthwise_mult1(p, input, filter, output);
            return;
        }
    }
    es_depthwise_conv_s8(p, input, filter, output);
}

#endif // !EARSHOT_KERNELS_REFERENCE
