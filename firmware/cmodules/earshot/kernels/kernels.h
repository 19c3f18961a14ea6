// int8 kernels of the inference engine: signatures and one parameter struct per op.
//
// Plain C, no MicroPython API, no allocation, no floating point. Semantics are LiteRT's
// BUILTIN_REF kernels (models/FORMAT.md §3; host_tools/earshot_host/reference/ is the
// NumPy oracle). Activations are int8 arrays in the arena; constant arrays (filters,
// biases, requant arrays) are read in place from the model bytes, which may have any
// alignment, so every multi-byte constant is passed as a byte pointer to little-endian
// data and read with earshot_le.h.
//
// The functions below without a suffix are the portable reference kernels (kernels/*.c),
// the oracle. EARSHOT_KERNELS_REFERENCE (earshot_config.h) chooses at build time which
// implementation the engine calls: the es_run_* names map to the reference kernels or to
// the optimized ones (kernels/optimized/, `_opt` suffix), which are bit-exact with them
// and fall back to them for shapes they do not cover.
#ifndef EARSHOT_KERNELS_H
#define EARSHOT_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "earshot_config.h"

// Per-channel output stage of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED.
typedef struct _es_requant_t {
    uint32_t count;              // 1 (one entry for every channel) or channels
    const uint8_t *multipliers;  // i32[count]
    const uint8_t *shifts;       // i32[count]
    const uint8_t *mantissas;    // DOUBLE_ROUND: i64[count], else NULL
    const uint8_t *exponents;    // DOUBLE_ROUND: i32[count], else NULL
    const uint8_t *bias;         // i32[channels] or NULL
    // CONV_2D / DEPTHWISE_CONV_2D: the prepared output stage (16 bytes per channel, FORMAT.md
    // §3.1) or NULL. Reference kernels do not read it.
    const uint8_t *stage;
    int32_t output_offset;       // output zero point
    int32_t act_min, act_max;
} es_requant_t;

// CONV_2D and DEPTHWISE_CONV_2D (NHWC; filter [Cout,KH,KW,Cin] or [1,KH,KW,Cin*M]).
typedef struct _es_conv_params_t {
    int32_t batches;
    int32_t in_h, in_w, in_ch;
    int32_t out_h, out_w, out_ch;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;    // DEPTHWISE only
    int32_t input_offset;        // -input zero point
    es_requant_t rq;
} es_conv_params_t;

// FULLY_CONNECTED: input [batches, depth], filter [out_ch, depth], output [batches, out_ch].
typedef struct _es_fc_params_t {
    int32_t batches, depth, out_ch;
    int32_t input_offset;        // -input zero point
    int32_t filter_offset;       // -filter zero point
    bool double_round;           // requant_mode DOUBLE_ROUND (mantissas/exponents)
    es_requant_t rq;
} es_fc_params_t;

// AVERAGE_POOL_2D and MAX_POOL_2D.
typedef struct _es_pool_kernel_params_t {
    int32_t batches;
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;
} es_pool_kernel_params_t;

// Broadcasting of two inputs to an output of up to 4 dims (TFLite's NdArrayDesc): dims of
// the output padded at the front to 4-D, and each input's element strides per axis (0
// along an axis where the input has size 1). Input i's element at output (a, b, c, d) is
// at a * stride_i[0] + b * stride_i[1] + c * stride_i[2] + d * stride_i[3].
typedef struct _es_broadcast_t {
    uint32_t dims[4];
    uint32_t stride1[4], stride2[4];
} es_broadcast_t;

// ADD of two tensors (broadcast: NULL when both have the output's shape).
typedef struct _es_add_kernel_params_t {
    uint32_t size;
    int32_t input1_offset, input2_offset, output_offset;   // -zp, -zp, +zp
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} es_add_kernel_params_t;

// SOFTMAX over the last dimension (int8 out, scale 1/256, zero point -128).
typedef struct _es_softmax_kernel_params_t {
    uint32_t rows, depth;
    int32_t input_beta_multiplier;
    int32_t input_beta_left_shift;
    int32_t diff_min;
} es_softmax_kernel_params_t;

void es_conv_s8(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);
void es_depthwise_conv_s8(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);
void es_fully_connected_s8(const es_fc_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);
void es_avg_pool_s8(const es_pool_kernel_params_t *p, const int8_t *input, int8_t *output);
void es_max_pool_s8(const es_pool_kernel_params_t *p, const int8_t *input, int8_t *output);
void es_add_s8(const es_add_kernel_params_t *p, const es_broadcast_t *broadcast,
    const int8_t *input1, const int8_t *input2, int8_t *output);

// MUL of two int8 tensors (TFLite reference_integer_ops::Mul), broadcast as ADD.
typedef struct _es_mul_kernel_params_t {
    uint32_t size;
    int32_t input1_offset, input2_offset, output_offset;   // -zp, -zp, +zp
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} es_mul_kernel_params_t;
void es_mul_s8(const es_mul_kernel_params_t *p, const es_broadcast_t *broadcast,
    const int8_t *input1, const int8_t *input2, int8_t *output);

// PAD of an 8-bit tensor: the input (dims in_dims, padded at the front to 4-D) placed at
// before[] in an output of out_dims filled with pad_value.
typedef struct _es_pad_kernel_params_t {
    uint32_t in_dims[4], out_dims[4], before[4];
    uint8_t pad_value;
} es_pad_kernel_params_t;
void es_pad(const es_pad_kernel_params_t *p, const uint8_t *input, uint8_t *output);

// MEAN of an int8 tensor over the axes of reduce[] (dims padded at the front to 4-D):
// MBQM(sum(x - input_zp), multiplier, shift) + output_zp, clamped to int8.
typedef struct _es_mean_kernel_params_t {
    uint32_t dims[4];
    bool reduce[4];
    int32_t input_offset, output_offset;   // -zp, +zp
    int32_t multiplier, shift;
} es_mean_kernel_params_t;
void es_mean_s8(const es_mean_kernel_params_t *p, const int8_t *input, int8_t *output);
void es_softmax_s8(const es_softmax_kernel_params_t *p, const int8_t *input, int8_t *output);

// The byte ops below work on int8 and uint8 tensors alike (1-byte elements).

// ASSIGN_VARIABLE / READ_VARIABLE: size bytes from value to variable (or back); the two
// may be the same memory.
void es_copy_variable(uint8_t *to, const uint8_t *from, uint32_t size);

// CONCATENATION: for each of outer steps, copy_size[k] bytes of each input k in turn.
typedef struct _es_concat_kernel_params_t {
    uint32_t count;          // inputs, 1..3
    uint32_t outer;          // product of the output dims before the axis
    uint32_t copy_size[3];   // per input: its dims from the axis on, multiplied
} es_concat_kernel_params_t;
void es_concatenation(const es_concat_kernel_params_t *p, const uint8_t *const inputs[3],
    uint8_t *output);

// STRIDED_SLICE on the input padded at the front to 4-D: output element (o0..o3) is input
// element (begin[d] + o_d * stride[d]); every index lies inside in_dims (model_check.c).
typedef struct _es_slice_kernel_params_t {
    uint32_t in_dims[4];
    int32_t begin[4];
    int32_t stride[4];
    uint32_t count[4];
} es_slice_kernel_params_t;
void es_strided_slice(const es_slice_kernel_params_t *p, const uint8_t *input, uint8_t *output);

// LOGISTIC (8-bit): the 256-entry table of the host (LiteRT's LUT), indexed by input byte.
void es_logistic(const uint8_t *table, const uint8_t *input, uint8_t *output, uint32_t size);

// QUANTIZE (requantize between int8 and uint8): MBQM(x - input_zp) + output_zp, clamped to
// the output type.
typedef struct _es_quantize_kernel_params_t {
    uint32_t size;
    bool input_signed, output_signed;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;
} es_quantize_kernel_params_t;
void es_quantize(const es_quantize_kernel_params_t *p, const uint8_t *input, uint8_t *output);

#if !EARSHOT_KERNELS_REFERENCE
void es_conv_s8_opt(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);
void es_depthwise_conv_s8_opt(const es_conv_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output);
void es_fully_connected_s8_opt(const es_fc_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output);
// One output pixel (a streaming model's window of the filter's size): false when the
// shape is not one the kernel takes (nothing written), then the kernels above run.
bool es_conv_pixel_s8_opt(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output);
bool es_depthwise_pixel_s8_opt(const es_conv_params_t *p, const int8_t *input,
    const int8_t *filter, int8_t *output);
#define es_run_conv_s8 es_conv_s8_opt
#define es_run_depthwise_conv_s8 es_depthwise_conv_s8_opt
#define es_run_fully_connected_s8 es_fully_connected_s8_opt
#else
#define es_run_conv_s8 es_conv_s8
#define es_run_depthwise_conv_s8 es_depthwise_conv_s8
#define es_run_fully_connected_s8 es_fully_connected_s8
#endif

// round(acc * mantissa * 2^exponent) as LiteRT's reference FULLY_CONNECTED computes it in
// double precision (FORMAT.md §3.2), with integers only. Exposed for tests.
int32_t es_double_round_scale(int32_t acc, int64_t mantissa, int32_t exponent);

#endif // EARSHOT_KERNELS_H
