// CONV_2D on the Cortex-M0/M0+ (opt_m0.h): im2col of four output pixels at a time into a
// stack column of int32 words (input + input offset, 0 over the padding), entry-major, so
// the four pixels' values of one receptive-field entry are one LDM; then a GEMM in Thumb-1
// assembly that runs one output channel against the four pixels: per four entries one
// LDM of four filter bytes, four LDM of the column, the filter bytes sign-extended one by
// one (SXTB, LSLS/ASRS pairs, ASRS), 16 MULS and 16 ADD into accumulators held in r8-r11:
// 45 instructions for 16 MACs; then, still in assembly, the channel's four outputs
// (opt_m0.h's output stage).
// Bit-exact with kernels/conv.c; operators it does not cover go back to the caller.

#include "kernels/optimized/opt_m0.h"

#if !EARSHOT_KERNELS_REFERENCE && EARSHOT_OPT_M0

EARSHOT_OPT_SPEED

// What the GEMM reads; the assembly copies it to its stack frame (offsets used there).
typedef struct _es_m0_gemm_t {
    const int32_t *cols;    // 0: k_len groups of four words (the pixels of entry k)
    const int8_t *filter;   // 4: channels rows of k_len bytes
    int32_t k_len;          // 8
    int32_t channels;       // 12 (>= 1)
    int8_t *out;            // 16: pixel 0's output of the first channel
    int32_t step[3];        // 20: bytes from pixel 0's outputs to those of pixels 1, 2, 3
    const es_m0_channel_t *table;   // 32: the channels' output stage
    int32_t lo, hi;         // 36: activation range
    int32_t unused;
} es_m0_gemm_t;

_Static_assert(sizeof(es_m0_gemm_t) == 48, "the assembly's frame");

// Saves r4-r11, copies the arguments to the stack, r1 = the filter, lr = 0x8000.
#define ES_M0_GEMM_ENTER \
    ".syntax unified\n" \
    "push {r4-r7, lr}\n" \
    "mov r4, r8\n" \
    "mov r5, r9\n" \
    "mov r6, r10\n" \
    "mov r7, r11\n" \
    "push {r4-r7}\n" \
    "sub sp, #48\n" \
    "mov r1, sp\n" \
    "ldmia r0!, {r2-r5}\n" \
    "stmia r1!, {r2-r5}\n" \
    "ldmia r0!, {r2-r5}\n" \
    "stmia r1!, {r2-r5}\n" \
    "ldmia r0!, {r2-r5}\n" \
    "stmia r1!, {r2-r5}\n" \
    "ldr r1, [sp, #4]\n" \
    "movs r0, #128\n" \
    "lsls r0, r0, #8\n" \
    "mov lr, r0\n"
// A channel: accumulators = its bias, r12 = the end of its filter row, r0 = the column.
#define ES_M0_GEMM_ROW \
    "2:\n" \
    "ldr r3, [sp, #32]\n" \
    "ldr r4, [r3, #16]\n" \
    "mov r8, r4\n" \
    "mov r9, r4\n" \
    "mov r10, r4\n" \
    "mov r11, r4\n" \
    "ldr r4, [sp, #8]\n" \
    "adds r4, r4, r1\n" \
    "mov r12, r4\n" \
    "ldr r0, [sp, #0]\n" \
    "movs r2, #0\n"
// One entry: the four pixels' words into r4-r7, times the next filter byte (r1, r2 = 0),
// added to the accumulators.
#define ES_M0_MACS \
    "ldmia r0!, {r4-r7}\n" \
    "ldrsb r3, [r1, r2]\n" \
    "adds r1, r1, #1\n" \
    "muls r4, r3, r4\n" \
    "muls r5, r3, r5\n" \
    "muls r6, r3, r6\n" \
    "muls r7, r3, r7\n" \
    "add r8, r4\n" \
    "add r9, r5\n" \
    "add r10, r6\n" \
    "add r11, r7\n"
// The channel's four outputs (clamped by `clamp`), next channel, restore and return.
#define ES_M0_GEMM_LEAVE(clamp) \
    "str r1, [sp, #4]\n" \
    ES_M0_CHANNEL_PARAMS(32) \
    "ldr r7, [sp, #16]\n" \
    ES_M0_SCALE("r8") clamp "strb r0, [r7]\n" \
    ES_M0_SCALE("r9") clamp "ldr r1, [sp, #20]\n" "strb r0, [r7, r1]\n" \
    ES_M0_SCALE("r10") clamp "ldr r1, [sp, #24]\n" "strb r0, [r7, r1]\n" \
    ES_M0_SCALE("r11") clamp "ldr r1, [sp, #28]\n" "strb r0, [r7, r1]\n" \
    "adds r7, r7, #1\n" \
    "str r7, [sp, #16]\n" \
    "ldr r1, [sp, #4]\n" \
    "ldr r0, [sp, #12]\n" \
    "subs r0, r0, #1\n" \
    "str r0, [sp, #12]\n" \
    "beq 3f\n" \
    "b 2b\n" \
    "3:\n" \
    "add sp, #48\n" \
    "pop {r4-r7}\n" \
    "mov r8, r4\n" \
    "mov r9, r5\n" \
    "mov r10, r6\n" \
    "mov r11, r7\n" \
    "pop {r4-r7, pc}\n"

// The GEMM with k_len a multiple of 4 (four entries per pass: 46 instructions for 16
// MACs), or any k_len (one entry per pass), and the int8 clamp or any activation range.
#define ES_M0_GEMM4(clamp) \
    ES_M0_GEMM_ENTER \
    ES_M0_GEMM_ROW \
    "1:\n" \
    ES_M0_MACS ES_M0_MACS ES_M0_MACS ES_M0_MACS \
    "cmp r1, r12\n" \
    "bne 1b\n" \
    ES_M0_GEMM_LEAVE(clamp)
#define ES_M0_GEMM1(clamp) \
    ES_M0_GEMM_ENTER \
    ES_M0_GEMM_ROW \
    "1:\n" \
    ES_M0_MACS \
    "cmp r1, r12\n" \
    "bne 1b\n" \
    ES_M0_GEMM_LEAVE(clamp)

typedef void es_m0_gemm_fn(const es_m0_gemm_t *g);

__attribute__((naked, noinline)) static void gemm4_int8(const es_m0_gemm_t *g) {
    (void)g;
    __asm__ volatile (ES_M0_GEMM4(ES_M0_CLAMP_INT8));
}

__attribute__((naked, noinline)) static void gemm4_range(const es_m0_gemm_t *g) {
    (void)g;
    __asm__ volatile (ES_M0_GEMM4(ES_M0_CLAMP_RANGE(36)));
}

__attribute__((naked, noinline)) static void gemm1_int8(const es_m0_gemm_t *g) {
    (void)g;
    __asm__ volatile (ES_M0_GEMM1(ES_M0_CLAMP_INT8));
}

__attribute__((naked, noinline)) static void gemm1_range(const es_m0_gemm_t *g) {
    (void)g;
    __asm__ volatile (ES_M0_GEMM1(ES_M0_CLAMP_RANGE(36)));
}

bool es_m0_channel(const es_requant_t *rq, int32_t c, int32_t k_len, es_m0_channel_t *t) {
    es_channel_t ch;
    es_load_channel(rq, c, &ch);
    const int32_t right = -ch.shift;
    // |acc| <= |bias| + k_len * 128 * 255 < 2^29 (k_len < 2^14 keeps the product in range).
    const uint32_t bias = ch.bias < 0 ? 0u - (uint32_t)ch.bias : (uint32_t)ch.bias;
    if (right < 1 || right > 22 || ch.multiplier < 0 || k_len >= (1 << 14)
        || bias >= (1u << 29) - (uint32_t)k_len * (128 * 255)) {
        return false;
    }
    t->mh = (int32_t)(((uint32_t)ch.multiplier + 0x8000u) >> 16);
    t->ml = ch.multiplier - t->mh * 0x10000;
    t->right = right;
    t->round = (int32_t)(((uint32_t)1 << (right - 1)) + ((uint32_t)rq->output_offset << right));
    t->bias = ch.bias;
    return true;
}

// Entries of channels [first, first + n) into t; false if one is not covered.
static bool channel_table(const es_requant_t *rq, int32_t first, int32_t n, int32_t k_len,
    es_m0_channel_t *t) {
    for (int32_t c = 0; c < n; ++c) {
        if (!es_m0_channel(rq, first + c, k_len, &t[c])) {
            return false;
        }
    }
    return true;
}

// n entries of pixel column d (every fourth word) from the input bytes at s plus offset;
// returns d past them. Four entries per pass (LDRB, SXTB, ADDS, STR each).
static int32_t *fill_run(int32_t *d, const int8_t *s, int32_t n, int32_t offset) {
    int32_t groups = n >> 2;
    if (groups > 0) {
        int32_t t;
        #define ES_M0_FILL1(i) \
    "ldrb %[t], [%[s], #" #i "]\n" \
    "sxtb %[t], %[t]\n" \
    "adds %[t], %[t], %[off]\n" \
    "str %[t], [%[d], #16 * " #i "]\n"
        __asm__ volatile (
            ".syntax unified\n"
            "1:\n"
            ES_M0_FILL1(0) ES_M0_FILL1(1) ES_M0_FILL1(2) ES_M0_FILL1(3)
            "adds %[s], %[s], #4\n"
            "adds %[d], %[d], #64\n"
            "subs %[n], %[n], #1\n"
            "bne 1b\n"
            : [d] "+l" (d), [s] "+l" (s), [n] "+l" (groups), [t] "=&l" (t)
            : [off] "l" (offset)
            : "cc", "memory");
        #undef ES_M0_FILL1
    }
    for (n &= 3; n > 0; --n, d += ES_M0_PIXELS) {
        *d = *s++ + offset;
    }
    return d;
}

static int32_t *fill_zero(int32_t *d, int32_t n) {
    for (; n > 0; --n, d += ES_M0_PIXELS) {
        *d = 0;
    }
    return d;
}

// The receptive field of the output pixel whose window starts at (y0, x0), into the column
// of one pixel (every fourth word from d).
static void fill_pixel(const es_conv_params_t *p, const int8_t *in_b, int32_t y0, int32_t x0,
    int32_t *d) {
    const int32_t in_ch = p->in_ch;
    const int32_t in_row = p->in_w * in_ch;
    const int32_t row_len = p->filter_w * in_ch;
    const int32_t offset = p->input_offset;
    const int32_t dw = p->dilation_w;
    const int32_t dy = p->dilation_h * in_row;
    if (dw == 1 && x0 >= 0 && x0 + p->filter_w <= p->in_w && y0 >= 0
        && y0 + (p->filter_h - 1) * p->dilation_h < p->in_h) {
        // The whole window inside the input: rows of row_len bytes.
        const int8_t *src = in_b + y0 * in_row + x0 * in_ch;
        for (int32_t ky = p->filter_h; ky > 0; --ky, src += dy) {
            d = fill_run(d, src, row_len, offset);
        }
        return;
    }
    int32_t kx_begin = 0;
    while (kx_begin < p->filter_w && x0 + kx_begin * dw < 0) {
        ++kx_begin;
    }
    int32_t kx_end = p->filter_w;
    while (kx_end > kx_begin && x0 + (kx_end - 1) * dw >= p->in_w) {
        --kx_end;
    }
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            d = fill_zero(d, row_len);
            continue;
        }
        const int8_t *src = in_b + iy * in_row + (x0 + kx_begin * dw) * in_ch;
        d = fill_zero(d, kx_begin * in_ch);
        if (dw == 1) {
            d = fill_run(d, src, (kx_end - kx_begin) * in_ch, offset);
        } else {
            for (int32_t kx = kx_begin; kx < kx_end; ++kx, src += dw * in_ch) {
                d = fill_run(d, src, in_ch, offset);
            }
        }
        d = fill_zero(d, (p->filter_w - kx_end) * in_ch);
    }
}

// The four pixels from px (row oy, column ox; a last block of fewer repeats its last one,
// whose outputs are then stored twice, the same values) into the column; the output steps
// into g.
static void fill_block(const es_conv_params_t *p, const int8_t *in_b, int32_t oy, int32_t ox,
    int32_t n_px, int32_t *cols, es_m0_gemm_t *g) {
    for (int32_t j = 0; j < ES_M0_PIXELS; ++j) {
        fill_pixel(p, in_b, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
            cols + j);
        if (j > 0) {
            g->step[j - 1] = (j < n_px ? j : n_px - 1) * p->out_ch;
        }
        if (j + 1 < n_px && ++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
    }
}

// CONV_2D, or with `transpose` a DEPTHWISE_CONV_2D with one input channel: its filter
// [1, KH, KW, M] is first transposed into the scratch, after the column.
static bool conv(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    bool transpose, int8_t *output) {
    const int32_t k_len = p->filter_h * p->filter_w * p->in_ch;
    const int32_t out_ch = p->out_ch;
    const int32_t col_words = ES_M0_PIXELS * k_len;
    const int32_t filter_words = transpose ? (k_len * out_ch + 3) / 4 : 0;
    const int32_t free_words = ES_M0_SCRATCH_WORDS - col_words - filter_words;
    if (k_len <= 0 || free_words < ES_M0_TABLE_WORDS) {
        return false;
    }
    // Channels per block: as many as the scratch left by the column holds.
    int32_t block = free_words / ES_M0_TABLE_WORDS;
    block = block < out_ch ? block : out_ch;
    uint32_t scratch[ES_M0_SCRATCH_WORDS];
    es_m0_channel_t *table = (es_m0_channel_t *)scratch;
    int32_t *cols = (int32_t *)scratch + block * ES_M0_TABLE_WORDS;
    // Check every channel before writing anything.
    for (int32_t oc0 = 0; oc0 < out_ch; oc0 += block) {
        const int32_t n = out_ch - oc0 < block ? out_ch - oc0 : block;
        if (!channel_table(&p->rq, oc0, n, k_len, table)) {
            return false;
        }
    }
    if (transpose) {
        int8_t *t = (int8_t *)(cols + col_words);
        for (int32_t oc = 0; oc < out_ch; ++oc) {
            for (int32_t k = 0; k < k_len; ++k) {
                t[oc * k_len + k] = filter[k * out_ch + oc];
            }
        }
        filter = t;
    }
    const bool int8_range = p->rq.act_min == -128 && p->rq.act_max == 127;
    es_m0_gemm_fn *gemm = (k_len & 3) == 0 ? (int8_range ? gemm4_int8 : gemm4_range)
        : (int8_range ? gemm1_int8 : gemm1_range);
    const int32_t pixels = p->out_h * p->out_w;
    es_m0_gemm_t g;
    g.cols = cols;
    g.k_len = k_len;
    g.lo = p->rq.act_min;
    g.hi = p->rq.act_max;
    for (int32_t oc0 = 0; oc0 < out_ch; oc0 += block) {
        const int32_t n = out_ch - oc0 < block ? out_ch - oc0 : block;
        if (oc0 > 0 || block < out_ch) {
            channel_table(&p->rq, oc0, n, k_len, table);
        }
        int8_t *out = output + oc0;
        for (int32_t b = 0; b < p->batches; ++b) {
            const int8_t *in_b = input + (size_t)b * p->in_h * p->in_w * p->in_ch;
            int32_t oy = 0, ox = 0;
            for (int32_t px = 0; px < pixels; px += ES_M0_PIXELS) {
                const int32_t n_px = pixels - px < ES_M0_PIXELS ? pixels - px : ES_M0_PIXELS;
                fill_block(p, in_b, oy, ox, n_px, cols, &g);
                // The next block's first pixel (no division: the M0 has no divider).
                for (int32_t j = 0; j < n_px; ++j) {
                    if (++ox == p->out_w) {
                        ox = 0;
                        ++oy;
                    }
                }
                g.filter = filter + (size_t)oc0 * k_len;
                g.channels = n;
                g.out = out;
                g.table = table;
                gemm(&g);
                out += n_px * out_ch;
            }
        }
    }
    return true;
}

bool es_m0_conv(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    return conv(p, input, filter, false, output);
}

bool es_m0_depthwise_in1(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    return p->in_ch == 1 && conv(p, input, filter, true, output);
}

#endif // !EARSHOT_KERNELS_REFERENCE && EARSHOT_OPT_M0
