// CONV_2D on the Cortex-M0/M0+ (opt_m0.h): im2col of a block of output pixels into a
// stack column, then a GEMM in Thumb-1 assembly that runs one output channel against the
// block with accumulators in the high registers.
//
// More dot products than registers: each receptive-field entry k of the column is a few
// words packing the pixels' values x_j (input + input offset, 0 over the padding), plain
// or shifted, e.g. P_0 = x_0 + (x_4 << 25). Accumulating w_k P_i (mod 2^32) gives
// A_0 = S_0 + 2^25 S_4 for the pixels' sums S_j = sum_k w_k x_j,k; while every |S_j| stays
// under the layout's bound they come back exactly: S_0 is A_0's low 25 bits
// (sign-extended) and its top bits are the low bits of S_4; the next accumulator, minus
// those bits shifted into place, leaves its own sum in its low bits and the next bits of
// S_4 on top; and so on, the last one ending S_4 with its sign. Two layouts:
// - five pixels in four words, P_i = x_i + (x_4 << (25, 18, 11, 4)_i): |S| < 2^24, so
//   receptive fields of up to 514 entries (514 x 128 x 255 < 2^24); per entry one LDM,
//   one LDRSB of the filter byte, four MULS and four ADD for five MACs;
// - seven pixels in five words (x_0 + (x_5 << 22), x_1 + (x_5 << 12),
//   x_2 + (x_5 << 2) + (x_6 << 24), x_3 + (x_6 << 14), x_4 + (x_6 << 4)): |S| < 2^21, so
//   up to 64 entries (64 x 128 x 255 < 2^21); per entry one LDM of five words, LDRB/SXTB
//   of the filter byte, five MULS and five ADD for seven MACs.
// Then, still in assembly, the sums are unpacked and go through the output stage
// (opt_m0.h). Bit-exact with kernels/conv.c; operators it does not cover go back to the
// caller.

#include "kernels/optimized/opt_m0.h"
#include "kernels/optimized/opt_conv.h"

#if !EARSHOT_KERNELS_REFERENCE && EARSHOT_OPT_M0

EARSHOT_OPT_SPEED

// Receptive fields the layouts take (the packed sums' bounds).
#define ES_M0_MAX_K5 (514)
#define ES_M0_MAX_K7 (64)

// What the GEMM reads; the assembly copies it to its stack frame (offsets used there).
typedef struct _es_m0_gemm_t {
    const int32_t *cols;    // 0: k_len entries of packed words
    const int8_t *filter;   // 4: channels rows of k_len bytes
    int32_t k_len;          // 8
    int32_t channels;       // 12 (>= 1)
    int8_t *out;            // 16: pixel 0's output of the first channel
    int32_t step[6];        // 20: bytes from pixel 0's outputs to those of pixels 1-6
    const es_m0_channel_t *table;   // 44: the channels' output stage
    int32_t lo, hi;         // 48: activation range
    int32_t spare[2];       // 56: the frame's scratch word (60)
} es_m0_gemm_t;

_Static_assert(sizeof(es_m0_gemm_t) == 64, "the assembly's frame");

// Saves r4-r11, copies the arguments to the stack, r1 = the filter, lr = 0x8000.
// (ES_M0_GEMM_*: the five-pixel layout; ES_M0_GEMM7_*: the seven-pixel one.)
#define ES_M0_GEMM_ENTER \
    ES_M0_SAVE \
    "sub sp, #64\n" \
    "mov r1, sp\n" \
    "ldmia r0!, {r2-r5}\n" \
    "stmia r1!, {r2-r5}\n" \
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
    ES_M0_ZERO4 \
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
// The channel's table entry: r4 = mh, r5 = right, r6 = ml, r12 = round, r7 = bias; and
// r3 = pixel 0's output of the channel (kept through the outputs).
#define ES_M0_GEMM_PARAMS \
    "ldr r3, [sp, #44]\n" \
    "ldmia r3!, {r4-r7}\n" \
    "mov r12, r7\n" \
    "ldmia r3!, {r7}\n" \
    "str r3, [sp, #44]\n" \
    "ldr r3, [sp, #16]\n"
// Output of the sum in r0 (r7 = bias) for pixel j, whose output offset is at [sp, #step].
#define ES_M0_GEMM_OUT(clamp, store) \
    "adds r0, r0, r7\n" \
    "adds r0, r0, r0\n" \
    ES_M0_SCALE_X2 \
    clamp \
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
    ES_M0_GEMM_PARAMS \
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
    ES_M0_GEMM_NEXT
// Next channel (output pointer one byte on), or restore and return.
#define ES_M0_GEMM_NEXT \
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
    "add sp, #64\n" \
    ES_M0_RESTORE

// Seven pixels: a channel zeroes r8-r12, lr = the end of its filter row.
#define ES_M0_GEMM7_ROW \
    "2:\n" \
    ES_M0_ZERO4 \
    "mov r12, r2\n" \
    "ldr r4, [sp, #8]\n" \
    "adds r4, r4, r1\n" \
    "mov lr, r4\n" \
    "ldr r0, [sp, #0]\n"
// Entry j of four: its five words into r3-r7 times filter byte j (LDRB + SXTB).
#define ES_M0_MACS7(j) \
    "ldmia r0!, {r3-r7}\n" \
    "ldrb r2, [r1, #" #j "]\n" \
    "sxtb r2, r2\n" \
    "muls r3, r2, r3\n" \
    "muls r4, r2, r4\n" \
    "muls r5, r2, r5\n" \
    "muls r6, r2, r6\n" \
    "muls r7, r2, r7\n" \
    "add r8, r3\n" \
    "add r9, r4\n" \
    "add r10, r5\n" \
    "add r11, r6\n" \
    "add r12, r7\n"
// Unpacks the sum of accumulator acc (bits of the shared sum known so far in `known`,
// shifted left by e first) into r0, adding the next 10 bits (shifted by `at`) to `known`.
#define ES_M0_UNPACK7(acc, known, e, at) \
    "mov r1, " known "\n" \
    "lsls r1, r1, #" #e "\n" \
    "mov r0, " acc "\n" \
    "subs r0, r0, r1\n" \
    "lsls r1, r0, #10\n" \
    "asrs r1, r1, #10\n" \
    "subs r0, r0, r1\n" \
    "lsrs r0, r0, #22\n" \
    "lsls r0, r0, #" #at "\n" \
    "add " known ", r0\n" \
    "movs r0, r1\n"
// The channel's seven outputs: A_4 to the frame (r12 takes the round), then the sums in
// pixel order; S_5 builds up in r8, S_6 in r9.
#define ES_M0_GEMM7_LEAVE(clamp) \
    "str r1, [sp, #4]\n" \
    "mov r0, r12\n" \
    "str r0, [sp, #60]\n" \
    ES_M0_GEMM_PARAMS \
    "movs r0, #128\n" \
    "lsls r0, r0, #8\n" \
    "mov lr, r0\n" \
    "mov r0, r8\n" \
    "lsls r1, r0, #10\n" \
    "asrs r1, r1, #10\n" \
    "subs r0, r0, r1\n" \
    "lsrs r0, r0, #22\n" \
    "mov r8, r0\n" \
    "movs r0, r1\n" \
    ES_M0_GEMM_OUT(clamp, "strb r0, [r3]\n") \
    ES_M0_UNPACK7("r9", "r8", 12, 10) \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(20)) \
    "mov r1, r8\n" \
    "lsls r1, r1, #2\n" \
    "mov r0, r10\n" \
    "subs r0, r0, r1\n" \
    "lsls r1, r0, #10\n" \
    "asrs r1, r1, #10\n" \
    "subs r0, r0, r1\n" \
    "lsrs r0, r0, #22\n" \
    "lsls r2, r0, #30\n" \
    "asrs r2, r2, #30\n" \
    "subs r0, r0, r2\n" \
    "lsls r0, r0, #22\n" \
    "lsrs r0, r0, #24\n" \
    "mov r9, r0\n" \
    "lsls r2, r2, #20\n" \
    "add r8, r2\n" \
    "movs r0, r1\n" \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(24)) \
    ES_M0_UNPACK7("r11", "r9", 14, 8) \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(28)) \
    "mov r1, r9\n" \
    "lsls r1, r1, #4\n" \
    "ldr r0, [sp, #60]\n" \
    "subs r0, r0, r1\n" \
    "lsls r1, r0, #10\n" \
    "asrs r1, r1, #10\n" \
    "subs r0, r0, r1\n" \
    "asrs r0, r0, #22\n" \
    "lsls r0, r0, #18\n" \
    "add r9, r0\n" \
    "movs r0, r1\n" \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(32)) \
    "mov r0, r8\n" \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(36)) \
    "mov r0, r9\n" \
    ES_M0_GEMM_OUT(clamp, ES_M0_STORE(40)) \
    ES_M0_GEMM_NEXT

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

// Seven pixels, k_len a multiple of 4 up to ES_M0_MAX_K7: 55 instructions for 28 MACs.
#define ES_M0_GEMM7(clamp) \
    ES_M0_GEMM_ENTER \
    ES_M0_GEMM7_ROW \
    "1:\n" \
    ES_M0_MACS7(0) ES_M0_MACS7(1) ES_M0_MACS7(2) ES_M0_MACS7(3) \
    "adds r1, r1, #4\n" \
    "cmp r1, lr\n" \
    "bne 1b\n" \
    ES_M0_GEMM7_LEAVE(clamp)

typedef void es_m0_gemm_fn(const es_m0_gemm_t *g);

ES_M0_NAKED(gemm7_int8, es_m0_gemm_t, ES_M0_GEMM7(ES_M0_CLAMP_INT8))
ES_M0_NAKED(gemm7_range, es_m0_gemm_t, ES_M0_GEMM7(ES_M0_CLAMP_RANGE(48)))
ES_M0_NAKED(gemm4_int8, es_m0_gemm_t, ES_M0_GEMM4(ES_M0_CLAMP_INT8))
ES_M0_NAKED(gemm4_range, es_m0_gemm_t, ES_M0_GEMM4(ES_M0_CLAMP_RANGE(48)))
ES_M0_NAKED(gemm1_int8, es_m0_gemm_t, ES_M0_GEMM1(ES_M0_CLAMP_INT8))
ES_M0_NAKED(gemm1_range, es_m0_gemm_t, ES_M0_GEMM1(ES_M0_CLAMP_RANGE(48)))

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

// Where a pixel's values go in the column's entries (see the top of the file).
typedef enum {
    ES_M0_PLAIN4,   // word j of four: five-pixel layout, pixels 0-3
    ES_M0_PLAIN5,   // word j of five: seven-pixel layout, pixels 0-4
    ES_M0_PACK5,    // added to words 0-3 shifted by 25, 18, 11, 4: pixel 4 of five
    ES_M0_PACK7X,   // added to words 0-2 shifted by 22, 12, 2: pixel 5 of seven
    ES_M0_PACK7Y,   // added to words 2-4 shifted by 24, 14, 4: pixel 6 of seven
} es_m0_place_t;

// n entries from the input bytes at s plus offset into the words at d, one entry every
// `stride` bytes (LDRB, SXTB, ADDS, STR each, four per pass); returns d past them.
#define ES_M0_FILL_RUN(name, stride) \
    static int32_t *name(int32_t *d, const int8_t *s, int32_t n, int32_t offset) { \
        int32_t groups = n >> 2; \
        if (groups > 0) { \
            int32_t t; \
            __asm__ volatile ( \
                ".syntax unified\n" \
                "1:\n" \
                ES_M0_FILL1(0, stride) ES_M0_FILL1(1, stride) \
                ES_M0_FILL1(2, stride) ES_M0_FILL1(3, stride) \
                "adds %[s], %[s], #4\n" \
                "adds %[d], %[d], #4 * " #stride "\n" \
                "subs %[n], %[n], #1\n" \
                "bne 1b\n" \
                : [d] "+l" (d), [s] "+l" (s), [n] "+l" (groups), [t] "=&l" (t) \
                : [off] "l" (offset) \
                : "cc", "memory"); \
        } \
        for (n &= 3; n > 0; --n) { \
            *d = *s++ + offset; \
            d += stride / 4; \
        } \
        return d; \
    }
#define ES_M0_FILL1(i, stride) \
    "ldrb %[t], [%[s], #" #i "]\n" \
    "sxtb %[t], %[t]\n" \
    "adds %[t], %[t], %[off]\n" \
    "str %[t], [%[d], #" #stride " * " #i "]\n"
ES_M0_FILL_RUN(fill_run4, 16)
ES_M0_FILL_RUN(fill_run5, 20)

// The same values added, shifted, to three or four words of each entry (a packed pixel).
#define ES_M0_PACK_RUN(name, stride, ...) \
    static int32_t *name(int32_t *d, const int8_t *s, int32_t n, int32_t offset) { \
        if (n > 0) { \
            int32_t v, t, w; \
            __asm__ volatile ( \
                ".syntax unified\n" \
                "1:\n" \
                "ldrb %[v], [%[s]]\n" \
                "sxtb %[v], %[v]\n" \
                "adds %[v], %[v], %[off]\n" \
                "adds %[s], %[s], #1\n" \
                __VA_ARGS__ \
                "adds %[d], %[d], #" #stride "\n" \
                "subs %[n], %[n], #1\n" \
                "bne 1b\n" \
                : [d] "+l" (d), [s] "+l" (s), [n] "+l" (n), [v] "=&l" (v), [t] "=&l" (t), \
                [w] "=&l" (w) \
                : [off] "l" (offset) \
                : "cc", "memory"); \
        } \
        return d; \
    }
#define ES_M0_PACK1(i, e) \
    "ldr %[w], [%[d], #" #i "]\n" \
    "lsls %[t], %[v], #" #e "\n" \
    "adds %[w], %[w], %[t]\n" \
    "str %[w], [%[d], #" #i "]\n"
ES_M0_PACK_RUN(pack_run5, 16,
    ES_M0_PACK1(0, 25) ES_M0_PACK1(4, 18) ES_M0_PACK1(8, 11) ES_M0_PACK1(12, 4))
ES_M0_PACK_RUN(pack_run7x, 20, ES_M0_PACK1(0, 22) ES_M0_PACK1(4, 12) ES_M0_PACK1(8, 2))
ES_M0_PACK_RUN(pack_run7y, 20, ES_M0_PACK1(8, 24) ES_M0_PACK1(12, 14) ES_M0_PACK1(16, 4))

// Words per entry of each place.
static inline int32_t place_words(es_m0_place_t place) {
    return place == ES_M0_PLAIN4 || place == ES_M0_PACK5 ? 4 : 5;
}

static int32_t *fill_bytes(int32_t *d, const int8_t *s, int32_t n, int32_t offset,
    es_m0_place_t place) {
    switch (place) {
        case ES_M0_PLAIN4:
            return fill_run4(d, s, n, offset);
        case ES_M0_PLAIN5:
            return fill_run5(d, s, n, offset);
        case ES_M0_PACK5:
            return pack_run5(d, s, n, offset);
        case ES_M0_PACK7X:
            return pack_run7x(d, s, n, offset);
        default:
            return pack_run7y(d, s, n, offset);
    }
}

// n entries of padding: zeros (a packed pixel adds nothing).
static int32_t *fill_zero(int32_t *d, int32_t n, es_m0_place_t place) {
    const int32_t words = place_words(place);
    if (place != ES_M0_PLAIN4 && place != ES_M0_PLAIN5) {
        return d + words * n;
    }
    for (; n > 0; --n, d += words) {
        *d = 0;
    }
    return d;
}

// The receptive field of the output pixel whose window starts at (y0, x0), into the column
// at d as `place` says.
static void fill_pixel(const es_conv_params_t *p, const int8_t *in_b, int32_t y0, int32_t x0,
    int32_t *d, es_m0_place_t place) {
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
            d = fill_bytes(d, src, row_len, offset, place);
        }
        return;
    }
    int32_t kx_begin, kx_end;
    es_opt_inside_cols(p, x0, &kx_begin, &kx_end);
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            d = fill_zero(d, row_len, place);
            continue;
        }
        const int8_t *src = in_b + iy * in_row + (x0 + kx_begin * dw) * in_ch;
        d = fill_zero(d, kx_begin * in_ch, place);
        if (dw == 1) {
            d = fill_bytes(d, src, (kx_end - kx_begin) * in_ch, offset, place);
        } else {
            for (int32_t kx = kx_begin; kx < kx_end; ++kx, src += dw * in_ch) {
                d = fill_bytes(d, src, in_ch, offset, place);
            }
        }
        d = fill_zero(d, (p->filter_w - kx_end) * in_ch, place);
    }
}

// The column layouts: pixels per block and where each goes.
typedef struct _es_m0_layout_t {
    int32_t pixels;
    int32_t words;  // per entry
    es_m0_place_t place[7];
} es_m0_layout_t;

static const es_m0_layout_t layout5 = {
    5, 4, {ES_M0_PLAIN4, ES_M0_PLAIN4, ES_M0_PLAIN4, ES_M0_PLAIN4, ES_M0_PACK5}
};
static const es_m0_layout_t layout7 = {
    7, 5, {ES_M0_PLAIN5, ES_M0_PLAIN5, ES_M0_PLAIN5, ES_M0_PLAIN5, ES_M0_PLAIN5,
           ES_M0_PACK7X, ES_M0_PACK7Y}
};

// The block of pixels from row oy, column ox (a last block of n_px < L->pixels repeats its
// last one, whose outputs are then stored twice, the same values) into the column; the
// output steps into g.
static void fill_block(const es_conv_params_t *p, const es_m0_layout_t *L, const int8_t *in_b,
    int32_t oy, int32_t ox, int32_t n_px, int32_t *cols, es_m0_gemm_t *g) {
    for (int32_t j = 0; j < L->pixels; ++j) {
        const es_m0_place_t place = L->place[j];
        const bool plain = place == ES_M0_PLAIN4 || place == ES_M0_PLAIN5;
        fill_pixel(p, in_b, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
            plain ? cols + j : cols, place);
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
    const bool int8_range = p->rq.act_min == -128 && p->rq.act_max == 127;
    // Seven pixels where the sums' bound allows it and the loop's four entries per pass fit.
    const bool seven = k_len <= ES_M0_MAX_K7 && (k_len & 3) == 0;
    const es_m0_layout_t *L = seven ? &layout7 : &layout5;
    es_m0_gemm_fn *gemm = seven ? (int8_range ? gemm7_int8 : gemm7_range)
        : (k_len & 3) == 0 ? (int8_range ? gemm4_int8 : gemm4_range)
        : (int8_range ? gemm1_int8 : gemm1_range);
    const int32_t col_words = L->words * k_len;
    const int32_t filter_words = transpose ? (k_len * out_ch + 3) / 4 : 0;
    const int32_t free_words = ES_M0_SCRATCH_WORDS - col_words - filter_words;
    if (k_len <= 0 || k_len > ES_M0_MAX_K5 || free_words < ES_M0_TABLE_WORDS) {
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
            for (int32_t px = 0; px < pixels; px += L->pixels) {
                const int32_t n_px = pixels - px < L->pixels ? pixels - px : L->pixels;
                fill_block(p, L, in_b, oy, ox, n_px, cols, &g);
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
