// The earshot model file, version 1 (models/FORMAT.md): constants and record decoders.
// Plain C, no MicroPython API. Decoders read single records and trust nothing: callers
// make sure the record lies inside the buffer (model_check.c) before decoding it.
#ifndef EARSHOT_MODEL_FORMAT_H
#define EARSHOT_MODEL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "earshot_le.h"

#define ES_HEADER_SIZE (64)
#define ES_TENSOR_RECORD_SIZE (48)
#define ES_OP_RECORD_SIZE (72)
#define ES_OP_PARAMS_OFFSET (12)
#define ES_FORMAT_VERSION (1)
#define ES_NO_TENSOR (0xFFFF)
#define ES_MAX_RANK (4)

#define ES_CONST_ALIGN (16)
#define ES_ARENA_ALIGN (16)
#define ES_SECTION_ALIGN (4)

enum {
    ES_DTYPE_INT8 = 1,
    ES_DTYPE_UINT8 = 2,
    ES_DTYPE_INT16 = 3,
    ES_DTYPE_INT32 = 4,
};

enum {
    ES_KIND_CONST = 0,
    ES_KIND_ACTIVATION = 1,
    ES_KIND_STATE = 2, // a variable: in the arena for the whole run, set by es_model_reset
};

enum {
    ES_TFLAG_INPUT = 0x01,
    ES_TFLAG_OUTPUT = 0x02,
    ES_TFLAG_ALIAS = 0x04,
    ES_TFLAGS_KNOWN = 0x07,
};

enum {
    ES_QUANT_NONE = 0,
    ES_QUANT_PER_TENSOR = 1,
    ES_QUANT_PER_CHANNEL = 2,
};

enum {
    ES_REQUANT_FIXED_POINT = 0,
    ES_REQUANT_DOUBLE_ROUND = 1,
};

enum {
    ES_OP_CONV_2D = 1,
    ES_OP_DEPTHWISE_CONV_2D = 2,
    ES_OP_FULLY_CONNECTED = 3,
    ES_OP_AVERAGE_POOL_2D = 4,
    ES_OP_MAX_POOL_2D = 5,
    ES_OP_ADD = 6,
    ES_OP_SOFTMAX = 7,
    ES_OP_ASSIGN_VARIABLE = 8,
    ES_OP_READ_VARIABLE = 9,
    ES_OP_CONCATENATION = 10,
    ES_OP_STRIDED_SLICE = 11,
    ES_OP_LOGISTIC = 12,
    ES_OP_QUANTIZE = 13,
    ES_OP_MUL = 14,
    ES_OP_PAD = 15,
    ES_OP_MEAN = 16,
    ES_OP_LAST = ES_OP_MEAN,
};

#define ES_ADD_LEFT_SHIFT (20)
#define ES_SOFTMAX_OUTPUT_ZERO_POINT (-128)

// Header fields (byte offsets in FORMAT.md §1.1).
typedef struct _es_header_t {
    uint16_t format_version;
    uint16_t header_size;
    uint32_t payload_length;
    uint32_t payload_crc32;
    uint32_t arena_size;
    uint16_t tensor_count;
    uint16_t op_count;
    uint16_t input_count;
    uint16_t output_count;
    uint32_t flags;
    uint32_t io_offset;
    uint32_t tensors_offset;
    uint32_t ops_offset;
    uint32_t blob_offset;
    uint32_t blob_size;
    uint32_t meta_offset;
    uint32_t meta_size;
    uint16_t tensor_record_size;
    uint16_t op_record_size;
} es_header_t;

// A tensor record (§1.2) without the float scale (metadata only).
typedef struct _es_tensor_t {
    uint8_t dtype;
    uint8_t kind;
    uint8_t rank;
    uint8_t flags;
    uint16_t dims[ES_MAX_RANK];
    uint32_t byte_size;
    uint32_t offset;
    int32_t zero_point;
    uint16_t alias_of;
    uint8_t quant_axis;
    uint8_t quant_type;
    uint32_t quant_count;
    uint32_t quant_zero_points_offset;
    uint32_t quant_scales_offset;
    uint32_t init_offset; // STATE roots: file offset of the initial value; else 0
} es_tensor_t;

// The head of an operator record (§1.3); params points at its 60-byte parameter block.
typedef struct _es_op_t {
    uint8_t opcode;
    uint8_t input_count;
    uint8_t output_count;
    uint8_t reserved;
    uint16_t inputs[3];
    uint16_t output;
    const uint8_t *params;
} es_op_t;

// Parameters of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.
typedef struct _es_weighted_params_t {
    uint16_t stride_h, stride_w;
    uint16_t dilation_h, dilation_w;
    uint16_t pad_top, pad_left;
    uint16_t filter_h, filter_w;
    uint16_t depth_multiplier;
    uint16_t requant_mode;
    int32_t input_zero_point;
    int32_t filter_zero_point;
    int32_t output_zero_point;
    int32_t act_min, act_max;
    uint32_t requant_count;
    uint32_t multipliers_offset;
    uint32_t shifts_offset;
    uint32_t scale_mantissas_offset;
    uint32_t scale_exponents_offset;
} es_weighted_params_t;
// Byte offsets of its fields in the parameter block (FORMAT.md), for readers of one field.
#define ES_WP_STRIDE_H (0)
#define ES_WP_STRIDE_W (2)
#define ES_WP_DILATION_H (4)
#define ES_WP_DILATION_W (6)
#define ES_WP_PAD_TOP (8)
#define ES_WP_PAD_LEFT (10)
#define ES_WP_FILTER_H (12)
#define ES_WP_FILTER_W (14)
#define ES_WP_DEPTH_MULTIPLIER (16)
#define ES_WP_REQUANT_MODE (18)
#define ES_WP_INPUT_ZERO_POINT (20)
#define ES_WP_FILTER_ZERO_POINT (24)
#define ES_WP_OUTPUT_ZERO_POINT (28)
#define ES_WP_ACT_MIN (32)
#define ES_WP_ACT_MAX (36)
#define ES_WP_REQUANT_COUNT (40)
#define ES_WP_MULTIPLIERS (44)
#define ES_WP_SHIFTS (48)
#define ES_WP_SCALE_MANTISSAS (52)
#define ES_WP_SCALE_EXPONENTS (56)
// CONV_2D / DEPTHWISE_CONV_2D keep the offset of their prepared output stage (0: none) in
// the mantissas' slot: per output channel ES_STAGE_RECORD_SIZE bytes, i32 bias2,
// multiplier, round and right (FORMAT.md §3.1, check O9).
#define ES_WP_STAGE (52)
#define ES_STAGE_RECORD_SIZE (16)
#define ES_STAGE_MAX_RIGHT (22)

// Parameters of AVERAGE_POOL_2D and MAX_POOL_2D.
typedef struct _es_pool_params_t {
    uint16_t stride_h, stride_w;
    uint16_t filter_h, filter_w;
    uint16_t pad_top, pad_left;
    int32_t act_min, act_max;
} es_pool_params_t;
#define ES_PP_STRIDE_H (0)
#define ES_PP_STRIDE_W (2)
#define ES_PP_FILTER_H (4)
#define ES_PP_FILTER_W (6)
#define ES_PP_PAD_TOP (8)
#define ES_PP_PAD_LEFT (10)
#define ES_PP_ACT_MIN (12)
#define ES_PP_ACT_MAX (16)
#define ES_POOL_PARAMS_SIZE (20)

// Parameters of ADD (12 int32 in FORMAT order).
typedef struct _es_add_params_t {
    int32_t input1_zero_point, input2_zero_point, output_zero_point;
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} es_add_params_t;
#define ES_ADD_PARAMS_SIZE (48)

// Parameters of SOFTMAX.
typedef struct _es_softmax_params_t {
    int32_t input_beta_multiplier;
    int32_t input_beta_left_shift;
    int32_t diff_min;
    int32_t input_zero_point;
    int32_t output_zero_point;
} es_softmax_params_t;
#define ES_SOFTMAX_PARAMS_SIZE (20)

// CONCATENATION: i32 axis.
#define ES_CONCAT_AXIS (0)
#define ES_CONCAT_PARAMS_SIZE (4)

// STRIDED_SLICE, on the input's shape padded at the front to 4-D: i32 begin[4],
// i32 stride[4], u16 count[4].
#define ES_SLICE_BEGIN (0)
#define ES_SLICE_STRIDE (16)
#define ES_SLICE_COUNT (32)
#define ES_SLICE_PARAMS_SIZE (40)

// LOGISTIC: u32 file offset of a 256-byte table indexed by the input byte, i32 input and
// output zero points.
#define ES_LOGISTIC_TABLE (0)
#define ES_LOGISTIC_INPUT_ZERO_POINT (4)
#define ES_LOGISTIC_OUTPUT_ZERO_POINT (8)
#define ES_LOGISTIC_PARAMS_SIZE (12)
#define ES_LOGISTIC_TABLE_SIZE (256)

// QUANTIZE: i32 input zero point, output zero point, multiplier, shift.
#define ES_QUANTIZE_INPUT_ZERO_POINT (0)
#define ES_QUANTIZE_OUTPUT_ZERO_POINT (4)
#define ES_QUANTIZE_MULTIPLIER (8)
#define ES_QUANTIZE_SHIFT (12)
#define ES_QUANTIZE_PARAMS_SIZE (16)

// MUL: i32 input1, input2 and output zero points, multiplier, shift, act_min, act_max.
#define ES_MUL_INPUT1_ZERO_POINT (0)
#define ES_MUL_INPUT2_ZERO_POINT (4)
#define ES_MUL_OUTPUT_ZERO_POINT (8)
#define ES_MUL_MULTIPLIER (12)
#define ES_MUL_SHIFT (16)
#define ES_MUL_ACT_MIN (20)
#define ES_MUL_ACT_MAX (24)
#define ES_MUL_PARAMS_SIZE (28)

// PAD: u16 before[4] on the shapes padded at the front to 4-D, i32 pad value.
#define ES_PAD_BEFORE (0)
#define ES_PAD_VALUE (8)
#define ES_PAD_PARAMS_SIZE (12)

// MEAN: u32 axis mask (bit d: axis d of the shape padded at the front to 4-D), i32 input
// and output zero points, multiplier, shift.
#define ES_MEAN_AXIS_MASK (0)
#define ES_MEAN_INPUT_ZERO_POINT (4)
#define ES_MEAN_OUTPUT_ZERO_POINT (8)
#define ES_MEAN_MULTIPLIER (12)
#define ES_MEAN_SHIFT (16)
#define ES_MEAN_PARAMS_SIZE (20)

static inline void es_read_header(const uint8_t *b, es_header_t *h) {
    h->format_version = es_rd_u16(b + 4);
    h->header_size = es_rd_u16(b + 6);
    h->payload_length = es_rd_u32(b + 8);
    h->payload_crc32 = es_rd_u32(b + 12);
    h->arena_size = es_rd_u32(b + 16);
    h->tensor_count = es_rd_u16(b + 20);
    h->op_count = es_rd_u16(b + 22);
    h->input_count = es_rd_u16(b + 24);
    h->output_count = es_rd_u16(b + 26);
    h->flags = es_rd_u32(b + 28);
    h->io_offset = es_rd_u32(b + 32);
    h->tensors_offset = es_rd_u32(b + 36);
    h->ops_offset = es_rd_u32(b + 40);
    h->blob_offset = es_rd_u32(b + 44);
    h->blob_size = es_rd_u32(b + 48);
    h->meta_offset = es_rd_u32(b + 52);
    h->meta_size = es_rd_u32(b + 56);
    h->tensor_record_size = es_rd_u16(b + 60);
    h->op_record_size = es_rd_u16(b + 62);
}

// Tensor i of a model whose tensor table lies inside the buffer (S2). One copy for the
// whole engine (model_check.c), not inlined: it is called from many places.
void es_read_tensor(const uint8_t *model, const es_header_t *h, uint32_t i, es_tensor_t *t);

// Operator i of a model whose operator table lies inside the buffer (S2).
static inline void es_read_op(const uint8_t *model, const es_header_t *h, uint32_t i,
    es_op_t *op) {
    const uint8_t *r = model + h->ops_offset + (size_t)i * ES_OP_RECORD_SIZE;
    op->opcode = r[0];
    op->input_count = r[1];
    op->output_count = r[2];
    op->reserved = r[3];
    op->inputs[0] = es_rd_u16(r + 4);
    op->inputs[1] = es_rd_u16(r + 6);
    op->inputs[2] = es_rd_u16(r + 8);
    op->output = es_rd_u16(r + 10);
    op->params = r + ES_OP_PARAMS_OFFSET;
}

static inline void es_read_weighted_params(const uint8_t *p, es_weighted_params_t *w) {
    // p is the parameter block, which starts at byte 12 of the record.
    w->stride_h = es_rd_u16(p + ES_WP_STRIDE_H);
    w->stride_w = es_rd_u16(p + ES_WP_STRIDE_W);
    w->dilation_h = es_rd_u16(p + ES_WP_DILATION_H);
    w->dilation_w = es_rd_u16(p + ES_WP_DILATION_W);
    w->pad_top = es_rd_u16(p + ES_WP_PAD_TOP);
    w->pad_left = es_rd_u16(p + ES_WP_PAD_LEFT);
    w->filter_h = es_rd_u16(p + ES_WP_FILTER_H);
    w->filter_w = es_rd_u16(p + ES_WP_FILTER_W);
    w->depth_multiplier = es_rd_u16(p + ES_WP_DEPTH_MULTIPLIER);
    w->requant_mode = es_rd_u16(p + ES_WP_REQUANT_MODE);
    w->input_zero_point = es_rd_i32(p + ES_WP_INPUT_ZERO_POINT);
    w->filter_zero_point = es_rd_i32(p + ES_WP_FILTER_ZERO_POINT);
    w->output_zero_point = es_rd_i32(p + ES_WP_OUTPUT_ZERO_POINT);
    w->act_min = es_rd_i32(p + ES_WP_ACT_MIN);
    w->act_max = es_rd_i32(p + ES_WP_ACT_MAX);
    w->requant_count = es_rd_u32(p + ES_WP_REQUANT_COUNT);
    w->multipliers_offset = es_rd_u32(p + ES_WP_MULTIPLIERS);
    w->shifts_offset = es_rd_u32(p + ES_WP_SHIFTS);
    w->scale_mantissas_offset = es_rd_u32(p + ES_WP_SCALE_MANTISSAS);
    w->scale_exponents_offset = es_rd_u32(p + ES_WP_SCALE_EXPONENTS);
}

static inline void es_read_pool_params(const uint8_t *p, es_pool_params_t *q) {
    q->stride_h = es_rd_u16(p + ES_PP_STRIDE_H);
    q->stride_w = es_rd_u16(p + ES_PP_STRIDE_W);
    q->filter_h = es_rd_u16(p + ES_PP_FILTER_H);
    q->filter_w = es_rd_u16(p + ES_PP_FILTER_W);
    q->pad_top = es_rd_u16(p + ES_PP_PAD_TOP);
    q->pad_left = es_rd_u16(p + ES_PP_PAD_LEFT);
    q->act_min = es_rd_i32(p + ES_PP_ACT_MIN);
    q->act_max = es_rd_i32(p + ES_PP_ACT_MAX);
}

static inline void es_read_add_params(const uint8_t *p, es_add_params_t *a) {
    a->input1_zero_point = es_rd_i32(p + 0);
    a->input2_zero_point = es_rd_i32(p + 4);
    a->output_zero_point = es_rd_i32(p + 8);
    a->left_shift = es_rd_i32(p + 12);
    a->input1_multiplier = es_rd_i32(p + 16);
    a->input1_shift = es_rd_i32(p + 20);
    a->input2_multiplier = es_rd_i32(p + 24);
    a->input2_shift = es_rd_i32(p + 28);
    a->output_multiplier = es_rd_i32(p + 32);
    a->output_shift = es_rd_i32(p + 36);
    a->act_min = es_rd_i32(p + 40);
    a->act_max = es_rd_i32(p + 44);
}

static inline void es_read_softmax_params(const uint8_t *p, es_softmax_params_t *s) {
    s->input_beta_multiplier = es_rd_i32(p + 0);
    s->input_beta_left_shift = es_rd_i32(p + 4);
    s->diff_min = es_rd_i32(p + 8);
    s->input_zero_point = es_rd_i32(p + 12);
    s->output_zero_point = es_rd_i32(p + 16);
}

static inline uint32_t es_dtype_size(uint8_t dtype) {
    switch (dtype) {
        case ES_DTYPE_INT8:
        case ES_DTYPE_UINT8:
            return 1;
        case ES_DTYPE_INT16:
            return 2;
        case ES_DTYPE_INT32:
            return 4;
        default:
            return 0;
    }
}

// Number of elements of a validated tensor (T4: fits in 32 bits).
static inline uint32_t es_tensor_elements(const es_tensor_t *t) {
    uint32_t n = 1;
    for (uint32_t d = 0; d < t->rank; ++d) {
        n *= t->dims[d];
    }
    return n;
}

// The dims of a validated tensor padded at the front with 1s to 4-D.
static inline void es_padded_dims(const es_tensor_t *t, uint32_t dims[4]) {
    for (uint32_t d = 0; d < 4; ++d) {
        dims[d] = d < 4u - t->rank ? 1 : t->dims[d - (4u - t->rank)];
    }
}

#endif // EARSHOT_MODEL_FORMAT_H
