// The Cortex-M0/M0+ (ARMv6-M, Thumb-1) paths of the optimized kernels: what they share.
//
// The core has a single-cycle 32 x 32 -> 32 multiplier (MULS, which overwrites one of
// its operands), no multiply-accumulate, no 64-bit product, eight low registers for most
// instructions and no unaligned loads. So a MAC costs at least a MULS and an ADD; the
// kernels keep every loaded value for as many products as registers allow, load four
// words at a time (LDM), keep accumulators in the high registers (ADD reaches them) and
// compute the output stage's high product from four 16 x 16 products.
// Every path is bit-exact with the reference kernels (kernels/*.c) and leaves to the
// portable code (optimized C, or the reference) what it does not cover.
#ifndef EARSHOT_KERNELS_OPT_M0_H
#define EARSHOT_KERNELS_OPT_M0_H

#include "kernels/optimized/opt_common.h"

#if EARSHOT_OPT_M0

#include "kernels/kernels.h"


// Words of the stack scratch of the kernels (the GEMM's: the output-stage table of a block
// of channels, then the column of four pixels, k_len entries each).
#define ES_M0_SCRATCH_WORDS (640)

// The output stage the assembly computes: the lean stage of opt_common.h for channels
// whose shift is a right shift of 1..22, whose multiplier m is not negative and whose
// accumulator acc (bias + sum) provably stays inside (-2^29, 2^29). With x2 = 2 acc,
//   high = floor((x2 m + 2^31) / 2^32)   (es_opt_lean_scale's product)
//   out  = clamp((high + round - (high < 0)) >> right, lo, hi),
//   round = 2^(right-1) + (zp << right).
// The high product comes from four 16 x 16 products, all inside 32 bits: with signed
// halves x2 = xh 2^16 + xl and m = mh 2^16 + ml (xl, ml in [-2^15, 2^15), so |xh| <= 2^14
// and 0 <= mh <= 2^15), a = xl ml, b = xl mh, c = xh ml, d = xh mh,
//   x2 m + 2^31 = d 2^32 + mid 2^16 + (a & 0xffff),  mid = b + c + (a >> 16) + 2^15,
// |mid| < 2^31, so high = d + (mid >> 16).
//
// One channel's entry of the table the assembly reads, in the order it loads them.
typedef struct _es_m0_channel_t {
    int32_t mh;
    int32_t right;
    int32_t ml;
    int32_t round;
    int32_t bias;
} es_m0_channel_t;
#define ES_M0_TABLE_WORDS (5)

// The entry of channel c of rq into t; false if the channel is outside what the assembly
// computes for receptive fields of k_len entries (see above).
bool es_m0_channel(const es_requant_t *rq, int32_t c, int32_t k_len, es_m0_channel_t *t);

// Assembly pieces of the output stage (GCC wraps inline assembly in `.syntax divided` on
// Thumb-1 and restores its own syntax after it: the blocks say `.syntax unified` first).
//
// ES_M0_SCALE_X2: the output for x2 = 2 acc in r0, before the clamp, into r0. Needs
// lr = 0x8000 and a channel's entry in registers: r4 = mh, r5 = right, r6 = ml,
// r12 = round; uses r1, r2.
#define ES_M0_SCALE_X2 \
    "sxth r1, r0\n" \
    "subs r0, r0, r1\n" \
    "asrs r0, r0, #16\n" \
    "movs r2, r1\n" \
    "muls r2, r6, r2\n" \
    "muls r1, r4, r1\n" \
    "asrs r2, r2, #16\n" \
    "adds r1, r1, r2\n" \
    "movs r2, r0\n" \
    "muls r2, r6, r2\n" \
    "muls r0, r4, r0\n" \
    "adds r1, r1, r2\n" \
    "add r1, lr\n" \
    "asrs r1, r1, #16\n" \
    "adds r0, r0, r1\n" \
    "asrs r1, r0, #31\n" \
    "adds r0, r0, r1\n" \
    "add r0, r12\n" \
    "asrs r0, r5\n"
// ES_M0_SCALE(acc): the same from accumulator register acc (bias included).
#define ES_M0_SCALE(acc) \
    "mov r0, " acc "\n" \
    "adds r0, r0, r0\n" \
    ES_M0_SCALE_X2
// Entry and exit of the assembly functions: r4-r11 saved on the stack (AAPCS), lr with
// them; r12 and lr are free inside.
#define ES_M0_SAVE \
    ".syntax unified\n" \
    "push {r4-r7, lr}\n" \
    "mov r4, r8\n" \
    "mov r5, r9\n" \
    "mov r6, r10\n" \
    "mov r7, r11\n" \
    "push {r4-r7}\n"
#define ES_M0_RESTORE \
    "pop {r4-r7}\n" \
    "mov r8, r4\n" \
    "mov r9, r5\n" \
    "mov r10, r6\n" \
    "mov r11, r7\n" \
    "pop {r4-r7, pc}\n"
// The accumulators r8-r11 zeroed (with r2 = 0).
#define ES_M0_ZERO4 \
    "movs r2, #0\n" \
    "mov r8, r2\n" \
    "mov r9, r2\n" \
    "mov r10, r2\n" \
    "mov r11, r2\n"

// A Thumb-1 function of one pointer argument whose body is the assembly `body`.
#define ES_M0_NAKED(name, type, body) \
    __attribute__((naked, noinline)) static void name(const type *arg) { \
        (void)arg; \
        __asm__ volatile (body); \
    }

// Clamps r0 to the int8 range (the activation range of most operators). Uses r1.
#define ES_M0_CLAMP_INT8 \
    "sxtb r1, r0\n" \
    "cmp r1, r0\n" \
    "beq 4f\n" \
    "asrs r0, r0, #31\n" \
    "movs r1, #127\n" \
    "eors r0, r1\n" \
    "4:\n"
// Clamps r0 to [lo, hi] read from [sp, #r] and [sp, #r + 4]. Uses r1.
#define ES_M0_CLAMP_RANGE(r) \
    "ldr r1, [sp, #" #r "]\n" \
    "cmp r0, r1\n" \
    "bge 4f\n" \
    "movs r0, r1\n" \
    "4:\n" \
    "ldr r1, [sp, #" #r " + 4]\n" \
    "cmp r0, r1\n" \
    "ble 5f\n" \
    "movs r0, r1\n" \
    "5:\n"

// CONV_2D through the M0 GEMM; false (nothing written) if the operator is not covered.
bool es_m0_conv(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);
// DEPTHWISE_CONV_2D with one input channel (a CONV_2D with the filter transposed to
// [M, KH, KW, 1]) through the M0 GEMM; false (nothing written) if not covered.
bool es_m0_depthwise_in1(const es_conv_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output);
// DEPTHWISE_CONV_2D with depth multiplier 1 and a channel count that is a multiple of 4;
// false (nothing written) if not covered.
bool es_m0_depthwise(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);

#endif // EARSHOT_OPT_M0

#endif // EARSHOT_KERNELS_OPT_M0_H
