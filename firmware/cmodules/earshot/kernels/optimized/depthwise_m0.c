// DEPTHWISE_CONV_2D with depth multiplier 1 on the Cortex-M0/M0+ (opt_m0.h), for channel
// counts that are a multiple of four. Channels go in chunks whose filter fits a stack
// scratch, prepared once per chunk: for each group of four channels and each tap, five
// words — the tap's byte offset in the input window and the four channels' filter values
// as int32 — so that one LDM brings a tap's offset and weights; the input offset is folded
// into the biases (offset x sum of the channel's filter) of the output-stage table.
// Per pixel and group, in Thumb-1 assembly: per tap one LDM, one LDR of the four input
// bytes, their sign extensions (SXTB, LSLS/ASRS pairs, ASRS), four MULS and four ADD into
// r8-r11 (18 instructions for 4 MACs), then the four outputs (opt_m0.h's output stage).
// Pixels whose window hangs over the padding run on a patch: the window's taps copied
// into a buffer laid out like the input, the zero point (input + offset = 0) outside.
// Bit-exact with kernels/depthwise_conv.c; operators it does not cover go back to the
// caller.

#include "kernels/optimized/opt_m0.h"

#if !EARSHOT_KERNELS_REFERENCE && EARSHOT_OPT_M0

EARSHOT_OPT_SPEED

// What the assembly reads; it copies it to its stack frame.
typedef struct _es_m0_dw_t {
    const int8_t *in;       // 0: first pixel's window origin, first channel of the chunk
    const int32_t *entries; // 4: per group four biases, then per tap {offset, 4 weights}
    int32_t taps_bytes;     // 8: bytes of one group's tap entries
    int32_t groups;         // 12 (>= 1)
    int8_t *out;            // 16: first pixel's output, first channel of the chunk
    const int32_t *table;   // 20: the chunk's channels' {mh, right, ml, round}
    int32_t count;          // 24: pixels (>= 1)
    int32_t in_step;        // 28: bytes from one pixel's window origin to the next
    int32_t out_step;       // 32: bytes from one pixel's outputs to the next
    int32_t lo, hi;         // 36: activation range
    int32_t skip;           // 44: bytes of the unrolled tap loop skipped on entry
} es_m0_dw_t;

_Static_assert(sizeof(es_m0_dw_t) == 48, "the assembly's frame");

// Taps per pass of the unrolled tap loop (as many as its closing BNE reaches back over),
// and the bytes of one tap's code (16 Thumb instructions of 2 bytes).
#define ES_M0_DW_UNROLL (7)
#define ES_M0_DW_TAP_CODE (32)

// Frame: the struct's 12 words, then the current group's input (48), entries (52), table
// entry (56), output (60), the groups left (64) and the tap loop's entry address (68).
// The entry address (ADR of the loop, plus the bytes skipped, plus the Thumb bit) makes
// the first pass run taps % 7 taps, Duff's device style.
#define ES_M0_DW_ENTER \
    ES_M0_SAVE \
    "sub sp, #72\n" \
    "mov r7, sp\n" \
    "ldmia r0!, {r1-r6}\n" \
    "stmia r7!, {r1-r6}\n" \
    "ldmia r0!, {r1-r6}\n" \
    "stmia r7!, {r1-r6}\n" \
    "adr r3, 9f\n" \
    "adds r3, r3, r6\n" \
    "adds r3, r3, #1\n" \
    "str r3, [sp, #68]\n" \
    "movs r0, #128\n" \
    "lsls r0, r0, #8\n" \
    "mov lr, r0\n"
// A pixel: r0 = its window, r1 = the first group's entries.
#define ES_M0_DW_PIXEL \
    "6:\n" \
    "ldr r0, [sp, #0]\n" \
    "ldr r1, [sp, #4]\n" \
    "ldr r2, [sp, #20]\n" \
    "str r2, [sp, #56]\n" \
    "ldr r2, [sp, #16]\n" \
    "str r2, [sp, #60]\n" \
    "ldr r2, [sp, #12]\n" \
    "str r2, [sp, #64]\n"
// A group: accumulators = the four channels' biases, r12 = the end of its tap entries,
// then into the tap loop.
#define ES_M0_DW_GROUP \
    "2:\n" \
    "ldmia r1!, {r4-r7}\n" \
    "mov r8, r4\n" \
    "mov r9, r5\n" \
    "mov r10, r6\n" \
    "mov r11, r7\n" \
    "ldr r4, [sp, #8]\n" \
    "adds r4, r4, r1\n" \
    "mov r12, r4\n" \
    "ldr r3, [sp, #68]\n" \
    "bx r3\n"
// One tap of the group's four channels (16 instructions, ES_M0_DW_TAP_CODE bytes).
#define ES_M0_DW_TAP \
    "ldmia r1!, {r2, r4-r7}\n" \
    "ldr r2, [r0, r2]\n" \
    "sxtb r3, r2\n" \
    "muls r4, r3, r4\n" \
    "add r8, r4\n" \
    "lsls r3, r2, #16\n" \
    "asrs r3, r3, #24\n" \
    "muls r5, r3, r5\n" \
    "add r9, r5\n" \
    "lsls r3, r2, #8\n" \
    "asrs r3, r3, #24\n" \
    "muls r6, r3, r6\n" \
    "add r10, r6\n" \
    "asrs r2, r2, #24\n" \
    "muls r7, r2, r7\n" \
    "add r11, r7\n"
#define ES_M0_DW_TAPS \
    ".align 2\n" \
    "9:\n" \
    ES_M0_DW_TAP ES_M0_DW_TAP ES_M0_DW_TAP ES_M0_DW_TAP \
    ES_M0_DW_TAP ES_M0_DW_TAP ES_M0_DW_TAP \
    "cmp r1, r12\n" \
    "bne 9b\n"
// Output j of the group from accumulator acc (2 x the sum: the weights are doubled); r3
// walks the table (one entry per output).
#define ES_M0_DW_OUT(acc, j, clamp) \
    "ldmia r3!, {r4-r7}\n" \
    "mov r12, r7\n" \
    "ldr r7, [sp, #60]\n" \
    "mov r0, " acc "\n" \
    ES_M0_SCALE_X2 \
    clamp \
    "strb r0, [r7, #" #j "]\n"
// The group's outputs, next group, next pixel, restore and return.
#define ES_M0_DW_LEAVE(clamp) \
    "str r0, [sp, #48]\n" \
    "str r1, [sp, #52]\n" \
    "ldr r3, [sp, #56]\n" \
    ES_M0_DW_OUT("r8", 0, clamp) \
    ES_M0_DW_OUT("r9", 1, clamp) \
    ES_M0_DW_OUT("r10", 2, clamp) \
    ES_M0_DW_OUT("r11", 3, clamp) \
    "str r3, [sp, #56]\n" \
    "adds r7, r7, #4\n" \
    "str r7, [sp, #60]\n" \
    "ldr r0, [sp, #48]\n" \
    "adds r0, r0, #4\n" \
    "ldr r1, [sp, #52]\n" \
    "ldr r2, [sp, #64]\n" \
    "subs r2, r2, #1\n" \
    "str r2, [sp, #64]\n" \
    "beq 7f\n" \
    "b 2b\n" \
    "7:\n" \
    "ldr r0, [sp, #0]\n" \
    "ldr r1, [sp, #28]\n" \
    "adds r0, r0, r1\n" \
    "str r0, [sp, #0]\n" \
    "ldr r0, [sp, #16]\n" \
    "ldr r1, [sp, #32]\n" \
    "adds r0, r0, r1\n" \
    "str r0, [sp, #16]\n" \
    "ldr r0, [sp, #24]\n" \
    "subs r0, r0, #1\n" \
    "str r0, [sp, #24]\n" \
    "beq 8f\n" \
    "b 6b\n" \
    "8:\n" \
    "add sp, #72\n" \
    ES_M0_RESTORE
#define ES_M0_DW(clamp) \
    ES_M0_DW_ENTER \
    ES_M0_DW_PIXEL \
    ES_M0_DW_GROUP \
    ES_M0_DW_TAPS \
    ES_M0_DW_LEAVE(clamp)

typedef void es_m0_dw_fn(const es_m0_dw_t *d);

ES_M0_NAKED(dw_int8, es_m0_dw_t, ES_M0_DW(ES_M0_CLAMP_INT8))
ES_M0_NAKED(dw_range, es_m0_dw_t, ES_M0_DW(ES_M0_CLAMP_RANGE(36)))

// Input byte offset of tap (ky, kx) of the window, relative to its origin.
static int32_t tap_offset(const es_conv_params_t *p, int32_t ky, int32_t kx) {
    return (ky * p->dilation_h * p->in_w + kx * p->dilation_w) * p->in_ch;
}

// The chunk's entries (per group its four biases, then per tap its input offset and four
// weights; weights and biases doubled, so that the accumulators hold 2 acc) and table
// (channels [c0, c0 + n): mh, right, ml, round).
static void prepare_chunk(const es_conv_params_t *p, const int8_t *filter, int32_t c0,
    int32_t n, int32_t *entries, int32_t *table) {
    const int32_t ch = p->in_ch;
    const int32_t taps = p->filter_h * p->filter_w;
    for (int32_t c = 0; c < n; ++c) {
        es_m0_channel_t q;
        es_m0_channel(&p->rq, c0 + c, taps, &q);
        int32_t *t = table + 4 * c;
        t[0] = q.mh;
        t[1] = q.right;
        t[2] = q.ml;
        t[3] = q.round;
        int32_t sum = 0;
        const int8_t *f = filter + c0 + c;
        for (int32_t k = 0; k < taps; ++k, f += ch) {
            sum += *f;
        }
        // The input offset folded in: bias + offset x sum of the filter, doubled.
        entries[(c / 4) * (4 + 5 * taps) + (c & 3)] =
            (int32_t)(2u * ((uint32_t)q.bias + (uint32_t)(sum * p->input_offset)));
    }
    for (int32_t g = 0; g < n / 4; ++g) {
        const int8_t *f = filter + c0 + 4 * g;
        int32_t *e = entries + g * (4 + 5 * taps) + 4;
        for (int32_t ky = 0; ky < p->filter_h; ++ky) {
            for (int32_t kx = 0; kx < p->filter_w; ++kx, e += 5, f += ch) {
                e[0] = tap_offset(p, ky, kx);
                e[1] = 2 * f[0];
                e[2] = 2 * f[1];
                e[3] = 2 * f[2];
                e[4] = 2 * f[3];
            }
        }
    }
}

// n words from s to d (LDMIA/STMIA of one word: four instructions per word).
static inline void copy_words(uint32_t *d, const uint32_t *s, int32_t n) {
    uint32_t t;
    __asm__ volatile (
        ".syntax unified\n"
        "1:\n"
        "ldmia %[s]!, {%[t]}\n"
        "stmia %[d]!, {%[t]}\n"
        "subs %[n], %[n], #1\n"
        "bne 1b\n"
        : [d] "+l" (d), [s] "+l" (s), [n] "+l" (n), [t] "=&l" (t) : : "cc", "memory");
}

// n copies of v at d.
static inline void fill_words(uint32_t *d, uint32_t v, int32_t n) {
    __asm__ volatile (
        ".syntax unified\n"
        "1:\n"
        "stmia %[d]!, {%[v]}\n"
        "subs %[n], %[n], #1\n"
        "bne 1b\n"
        : [d] "+l" (d), [n] "+l" (n) : [v] "l" (v) : "cc", "memory");
}

// The window at (y0, x0) of chunk channels [c0, c0 + n) into patch, laid out like the
// input (tap (ky, kx) at tap_offset), the zero point over the padding.
static void fill_patch(const es_conv_params_t *p, const int8_t *in_b, int32_t y0, int32_t x0,
    int32_t c0, int32_t n, uint32_t *patch) {
    const uint32_t zp4 = (uint32_t)(uint8_t)-p->input_offset * 0x01010101u;
    const int32_t words = n / 4;
    const int32_t ch = p->in_ch;
    const int32_t row_step = p->dilation_h * p->in_w * ch;
    const int32_t tap_step = p->dilation_w * ch;
    const int8_t *src_row = in_b + (y0 * p->in_w + x0) * ch + c0;
    uint8_t *dst_row = (uint8_t *)patch;
    int32_t iy = y0;
    for (int32_t ky = p->filter_h; ky > 0; --ky, iy += p->dilation_h) {
        const bool row_inside = iy >= 0 && iy < p->in_h;
        const int8_t *src = src_row;
        uint8_t *dst = dst_row;
        int32_t ix = x0;
        for (int32_t kx = p->filter_w; kx > 0; --kx, ix += p->dilation_w) {
            if (row_inside && ix >= 0 && ix < p->in_w) {
                copy_words((uint32_t *)dst, (const uint32_t *)src, words);
            } else {
                fill_words((uint32_t *)dst, zp4, words);
            }
            src += tap_step;
            dst += tap_step;
        }
        src_row += row_step;
        dst_row += row_step;
    }
}

bool es_m0_depthwise(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    const int32_t ch = p->in_ch;
    const int32_t taps = p->filter_h * p->filter_w;
    if (p->depth_multiplier != 1 || (ch & 3) != 0 || ((uintptr_t)input & 3) != 0) {
        return false;
    }
    // Output pixels whose window lies inside the input: rows [oy0, oy1), columns [ox0, ox1).
    const int32_t span_h = (p->filter_h - 1) * p->dilation_h;
    const int32_t span_w = (p->filter_w - 1) * p->dilation_w;
    int32_t oy0 = 0, ox0 = 0;
    while (oy0 < p->out_h && oy0 * p->stride_h - p->pad_top < 0) {
        ++oy0;
    }
    while (ox0 < p->out_w && ox0 * p->stride_w - p->pad_left < 0) {
        ++ox0;
    }
    int32_t oy1 = p->out_h, ox1 = p->out_w;
    while (oy1 > oy0 && (oy1 - 1) * p->stride_h - p->pad_top + span_h >= p->in_h) {
        --oy1;
    }
    while (ox1 > ox0 && (ox1 - 1) * p->stride_w - p->pad_left + span_w >= p->in_w) {
        --ox1;
    }
    const bool borders = oy0 > 0 || ox0 > 0 || oy1 < p->out_h || ox1 < p->out_w;
    // Scratch: the patch (if any), then per chunk of channels its entries and table.
    const int32_t patch_words =
        borders ? tap_offset(p, p->filter_h - 1, p->filter_w - 1) / 4 : 0;
    const int32_t words_per_4 = 4 + 5 * taps + 4 * 4 + (borders ? 1 : 0);
    int32_t chunk = 4 * ((ES_M0_SCRATCH_WORDS - patch_words) / words_per_4);
    chunk = chunk < ch ? chunk : ch;
    if (chunk <= 0) {
        return false;
    }
    for (int32_t c = 0; c < ch; ++c) {
        es_m0_channel_t t;
        if (!es_m0_channel(&p->rq, c, taps, &t)) {
            return false;
        }
    }
    uint32_t scratch[ES_M0_SCRATCH_WORDS];
    uint32_t *patch = scratch;
    int32_t *entries = (int32_t *)scratch + patch_words + (borders ? chunk / 4 : 0);
    int32_t *table = entries + (4 + 5 * taps) * (chunk / 4);
    es_m0_dw_fn *run = p->rq.act_min == -128 && p->rq.act_max == 127 ? dw_int8 : dw_range;
    es_m0_dw_t d;
    d.entries = entries;
    d.taps_bytes = 20 * taps;
    d.table = table;
    d.in_step = p->stride_w * ch;
    d.out_step = ch;
    d.lo = p->rq.act_min;
    d.hi = p->rq.act_max;
    d.skip = ((ES_M0_DW_UNROLL - taps % ES_M0_DW_UNROLL) % ES_M0_DW_UNROLL) * ES_M0_DW_TAP_CODE;
    const int32_t in_row = p->in_w * ch;
    for (int32_t c0 = 0; c0 < ch; c0 += chunk) {
        const int32_t n = ch - c0 < chunk ? ch - c0 : chunk;
        prepare_chunk(p, filter, c0, n, entries, table);
        d.groups = n / 4;
        for (int32_t b = 0; b < p->batches; ++b) {
            const int8_t *in_b = input + (size_t)b * p->in_h * in_row;
            int8_t *out_b = output + (size_t)b * p->out_h * p->out_w * ch + c0;
            for (int32_t oy = 0; oy < p->out_h; ++oy) {
                const int32_t y0 = oy * p->stride_h - p->pad_top;
                int8_t *out_y = out_b + oy * p->out_w * ch;
                const bool rows_inside = oy >= oy0 && oy < oy1;
                for (int32_t ox = 0; ox < p->out_w;) {
                    const int32_t x0 = ox * p->stride_w - p->pad_left;
                    d.out = out_y + ox * ch;
                    if (rows_inside && ox >= ox0 && ox < ox1) {
                        // The run of interior pixels in one call.
                        d.in = in_b + y0 * in_row + x0 * ch + c0;
                        d.count = ox1 - ox;
                        ox = ox1;
                    } else {
                        fill_patch(p, in_b, y0, x0, c0, n, patch);
                        d.in = (const int8_t *)patch;
                        d.count = 1;
                        ++ox;
                    }
                    run(&d);
                }
            }
        }
    }
    return true;
}

#endif // !EARSHOT_KERNELS_REFERENCE && EARSHOT_OPT_M0
