// CONV_2D on the Cortex-M0/M0+ (opt_m0.h): im2col of five output pixels at a time into a
// stack column, then a GEMM in Thumb-1 assembly that runs one output channel against the
// five pixels with four accumulators.
//
// Five dot products in four registers: entry k of the column is four words
// P_i = x_i + (x_4 << e_i), e = (25, 18, 11, 4), with x_j the input + input offset of
// pixel j (0 over the padding). Accumulating w_k P_i (mod 2^32) gives
// A_i = S_i + 2^e_i S_4 for the pixels' sums S_j = sum_k w_k x_j,k; when every |S_j| <
// 2^24 (receptive fields of up to 514 entries: 514 x 128 x 255 < 2^24) they come back
// exactly: S_0 is A_0's low 25 bits (sign-extended) and its top 7 bits are S_4 mod 2^7;
// A_1 minus those bits shifted by e_1 leaves S_1 in its low 25 bits and the next 7 bits
// of S_4 on top; and so on, A_3's top bits ending S_4 with its sign. So a pass over one
// entry is one LDM of the four words, one LDRSB of the filter byte, four MULS and four
// ADD for five MACs: 46 instructions for 20 MACs with four entries per loop pass.
// Then, still in assembly, the five sums are unpacked (34 instructions) and go through
// the output stage (opt_m0.h).
// Bit-exact with kernels/conv.c; operators it does not cover go back to the caller.

#include "kernels/optimized/opt_m0.h"

#if !EARSHOT_KERNELS_REFERENCE && EARSHOT_OPT_M0

EARSHOT_OPT_SPEED

// Pixels per GEMM pass; receptive fields of up to ES_M0_MAX_K entries keep the packed sums
// apart.
#define ES_M0_PIXELS (5)
#define ES_M0_MAX_K (514)

// What the GEMM reads; the assembly copies it to its stack frame (offsets used there).
typedef struct _es_m0_gemm_t {
    const int32_t *cols;    // 0: k_len groups of four packed words
    const int8_t *filter;   // 4: channels rows of k_len bytes
    int32_t k_len;          // 8
    int32_t channels;       // 12 (>= 1)
    int8_t *out;            // 16: pixel 0's output of the first channel
    int32_t step[4];        // 20: bytes from pixel 0's outputs to those of pixels 1-4
    const es_m0_channel_t *table;   // 36: the channels' output stage
    int32_t lo, hi;         // 40: activation range
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
// A channel: accumulators zero, r12 = the end of its filter row, r0 = the column, r2 = 0.
#define ES_M0_GEMM_ROW \
    "2:\n" \
    "movs r2, #0\n" \
    "mov r8, r2\n" \
    "mov r9, r2\n" \
    "mov r10, r2\n" \
    "mov r11, r2\n" \
    "ldr r4, [sp, #8]\n" \
    "adds r4, r4, r1\n" \
    "mov r12, r4\n" \
    "ldr r0, [sp, #0]\n"
// One entry: its four packed words into r4-r7, times the next filter byte (r1, r2 = 0),
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
// Output of the sum in r0 (r7 = bias) for pixel j, whose output offset is at [sp, #step].
#define ES_M0_GEMM_OUT(clamp, store) \
    "adds r0, r0, r7\n" \
    "adds r0, r0, r0\n" \
    ES_M0_SCALE_X2 \
    clamp \
    "ldr r3, [sp, #16]\n" \
    store
#define ES_M0_STORE(step) "ldr r2, [sp, #" #step "]\n" "strb r0, [r3, r2]\n"
// Unpacks the sum of pixel i (1..3) from accumulator acc (the bits of S_4 known so far in
// r8, shifted left by e_i first), leaving it in r0 and the next 7 bits of S_4 in r8.
#define ES_M0_UNPACK(acc, e, known) \
    "mov r1, r8\n" \
    "lsls r1, r1, #" #e "\n" \
    "mov r0, " acc "\n" \
    "subs r0, r0, r1\n" \
    "lsls r1, r0, #7\n" \
    "asrs r1, r1, #7\n" \
    "subs r0, r0, r1\n" \
    "lsrs r0, r0, #25\n" \
    "lsls r0, r0, #" #known "\n" \
    "add r8, r0\n" \
    "movs r0, r1\n"
// The channel's five outputs, next channel, restore and return.
#define ES_M0_GEMM_LEAVE(clamp) \
    "str r1, [sp, #4]\n" \
    "ldr r3, [sp, #36]\n" \
    "ldmia r3!, {r4-r7}\n" \
    "mov r12, r7\n" \
    "ldmia r3!, {r7}\n" \
    "str r3, [sp, #36]\n" \
    "mov r0, r8\n" \
    "lsls r1, r0, #7\n" \
    "asrs r1, r1, #7\n" \
    "subs r0, r0, r1\n" \
    "lsrs r0, r0, #25\n" \
    "mov r8, r0\n" \
    "movs r0, r1\n" \
    ES_M0_GEMM_OUT(clamp, "strb r0, [r3]\n") \
    ES_M0_UNPACK("r9", 18, 7) \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(20)) \
    ES_M0_UNPACK("r10", 11, 14) \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(24)) \
    "mov r1, r8\n" \
    "lsls r1, r1, #4\n" \
    "mov r0, r11\n" \
    "subs r0, r0, r1\n" \
    "lsls r1, r0, #7\n" \
    "asrs r1, r1, #7\n" \
    "subs r0, r0, r1\n" \
    "asrs r0, r0, #25\n" \
    "lsls r0, r0, #21\n" \
    "add r8, r0\n" \
    "movs r0, r1\n" \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(28)) \
    "mov r0, r8\n" \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(32)) \
    "ldr r0, [sp, #16]\n" \
    "adds r0, r0, #1\n" \
    "str r0, [sp, #16]\n" \
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

// The GEMM with k_len a multiple of 4 (four entries per pass), or any k_len (one entry per
// pass), and the int8 clamp or any activation range.
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
    __asm__ volatile (ES_M0_GEMM4(ES_M0_CLAMP_RANGE(40)));
}

__attribute__((naked, noinline)) static void gemm1_int8(const es_m0_gemm_t *g) {
    (void)g;
    __asm__ volatile (ES_M0_GEMM1(ES_M0_CLAMP_INT8));
}

__attribute__((naked, noinline)) static void gemm1_range(const es_m0_gemm_t *g) {
    (void)g;
    __asm__ volatile (ES_M0_GEMM1(ES_M0_CLAMP_RANGE(40)));
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
    for (n &= 3; n > 0; --n, d += 4) {
        *d = *s++ + offset;
    }
    return d;
}

// The same entries added to the four words of each entry of the column (pixel 4's share
// of the packed words: P_i += (x + offset) << e_i).
static int32_t *fill_run_packed(int32_t *d, const int8_t *s, int32_t n, int32_t offset) {
    if (n > 0) {
        int32_t v, t, w;
        #define ES_M0_PACK1(i, e) \
    "ldr %[w], [%[d], #" #i "]\n" \
    "lsls %[t], %[v], #" #e "\n" \
    "adds %[w], %[w], %[t]\n" \
    "str %[w], [%[d], #" #i "]\n"
        __asm__ volatile (
            ".syntax unified\n"
            "1:\n"
            "ldrb %[v], [%[s]]\n"
            "sxtb %[v], %[v]\n"
            "adds %[v], %[v], %[off]\n"
            "adds %[s], %[s], #1\n"
            ES_M0_PACK1(0, 25) ES_M0_PACK1(4, 18) ES_M0_PACK1(8, 11) ES_M0_PACK1(12, 4)
            "adds %[d], %[d], #16\n"
            "subs %[n], %[n], #1\n"
            "bne 1b\n"
            : [d] "+l" (d), [s] "+l" (s), [n] "+l" (n), [v] "=&l" (v), [t] "=&l" (t),
            [w] "=&l" (w)
            : [off] "l" (offset)
            : "cc", "memory");
        #undef ES_M0_PACK1
    }
    return d;
}

static int32_t *fill_zero(int32_t *d, int32_t n, bool packed) {
    if (packed) {
        return d + 4 * n;
    }
    for (; n > 0; --n, d += 4) {
        *d = 0;
    }
    return d;
}

static inline int32_t *fill_bytes(int32_t *d, const int8_t *s, int32_t n, int32_t offset,
    bool packed) {
    return packed ? fill_run_packed(d, s, n, offset) : fill_run(d, s, n, offset);
}

// The receptive field of the output pixel whose window starts at (y0, x0), into the column
// of one pixel (every fourth word from d), or packed into all four words (pixel 4).
static void fill_pixel(const es_conv_params_t *p, const int8_t *in_b, int32_t y0, int32_t x0,
    int32_t *d, bool packed) {
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
            d = fill_bytes(d, src, row_len, offset, packed);
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
            d = fill_zero(d, row_len, packed);
            continue;
        }
        const int8_t *src = in_b + iy * in_row + (x0 + kx_begin * dw) * in_ch;
        d = fill_zero(d, kx_begin * in_ch, packed);
        if (dw == 1) {
            d = fill_bytes(d, src, (kx_end - kx_begin) * in_ch, offset, packed);
        } else {
            for (int32_t kx = kx_begin; kx < kx_end; ++kx, src += dw * in_ch) {
                d = fill_bytes(d, src, in_ch, offset, packed);
            }
        }
        d = fill_zero(d, (p->filter_w - kx_end) * in_ch, packed);
    }
}

// The five pixels from row oy, column ox (a last block of n_px < 5 repeats its last one,
// whose outputs are then stored twice, the same values) into the column; the output steps
// into g.
static void fill_block(const es_conv_params_t *p, const int8_t *in_b, int32_t oy, int32_t ox,
    int32_t n_px, int32_t *cols, es_m0_gemm_t *g) {
    for (int32_t j = 0; j < ES_M0_PIXELS; ++j) {
        const bool packed = j == ES_M0_PIXELS - 1;
        fill_pixel(p, in_b, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
            packed ? cols : cols + j, packed);
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
    const int32_t col_words = 4 * k_len;
    const int32_t filter_words = transpose ? (k_len * out_ch + 3) / 4 : 0;
    const int32_t free_words = ES_M0_SCRATCH_WORDS - col_words - filter_words;
    if (k_len <= 0 || k_len > ES_M0_MAX_K || free_words < ES_M0_TABLE_WORDS) {
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
    // When the table cannot hold every channel, either each channel block refills the
    // column of each pixel block (channel blocks outside) or each pixel block remakes the
    // table of each channel block (pixel blocks outside), whichever costs less: about 42
    // instructions per entry and pixel block against 70 per channel (measured).
    const int32_t blocks = (out_ch + block - 1) / block;
    const bool refill = blocks > 1 && (blocks - 1) * k_len * 42 < out_ch * 70;
    for (int32_t oc_outer = 0; oc_outer < out_ch; oc_outer += refill ? block : out_ch) {
        const int32_t oc_end = refill ? oc_outer + block : out_ch;
        if (refill && blocks > 1) {
            const int32_t n = out_ch - oc_outer < block ? out_ch - oc_outer : block;
            channel_table(&p->rq, oc_outer, n, k_len, table);
        }
        int8_t *out = output;
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
                for (int32_t oc0 = oc_outer; oc0 < oc_end && oc0 < out_ch; oc0 += block) {
                    const int32_t n = out_ch - oc0 < block ? out_ch - oc0 : block;
                    if (!refill && blocks > 1) {
                        channel_table(&p->rq, oc0, n, k_len, table);
                    }
                    g.filter = filter + (size_t)oc0 * k_len;
                    g.channels = n;
                    g.out = out + oc0;
                    g.table = table;
                    gemm(&g);
                }
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
