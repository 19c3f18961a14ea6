// The operator loop of the inference engine. The model has been validated (model_check.c),
// so every tensor index, shape and array below is known to be in bounds and consistent;
// here records are only decoded (byte-wise, the buffer may be unaligned) into the kernels'
// parameter structs. Records come from the caller's copy of the tables, constant data
// from the model file (model_run.h).

#include <string.h>

#include "model_run.h"
#include "kernels/kernels.h"

typedef struct _run_t {
    const uint8_t *tables; // header, io list, tensor and operator records
    const uint8_t *model; // the file: constant data
    uint8_t *arena;
    es_header_t h;
} run_t;

static void tensor(const run_t *r, uint16_t index, es_tensor_t *t) {
    es_read_tensor(r->tables, &r->h, index, t);
}

static const int8_t *data_of(const run_t *r, const es_tensor_t *t) {
    return (const int8_t *)(t->kind == ES_KIND_CONST ? r->model + t->offset : r->arena + t->offset);
}

static int8_t *output_of(const run_t *r, const es_tensor_t *t) {
    return (int8_t *)(r->arena + t->offset);
}

// The output stage of a weighted op, read from its parameter block (the ES_WP_* offsets
// of model_format.h).
static void fill_requant(const run_t *r, const es_op_t *op, es_requant_t *rq) {
    const uint8_t *w = op->params;
    rq->count = es_rd_u32(w + ES_WP_REQUANT_COUNT);
    rq->multipliers = r->model + es_rd_u32(w + ES_WP_MULTIPLIERS);
    rq->shifts = r->model + es_rd_u32(w + ES_WP_SHIFTS);
    rq->mantissas = NULL;
    rq->exponents = NULL;
    const uint32_t stage = es_rd_u32(w + ES_WP_STAGE);
    rq->stage = op->opcode != ES_OP_FULLY_CONNECTED && stage ? r->model + stage : NULL;
    if (es_rd_u16(w + ES_WP_REQUANT_MODE) == ES_REQUANT_DOUBLE_ROUND) {
        rq->mantissas = r->model + es_rd_u32(w + ES_WP_SCALE_MANTISSAS);
        rq->exponents = r->model + es_rd_u32(w + ES_WP_SCALE_EXPONENTS);
    }
    rq->bias = NULL;
    if (op->inputs[2] != ES_NO_TENSOR) {
        es_tensor_t bias;
        tensor(r, op->inputs[2], &bias);
        rq->bias = r->model + bias.offset;
    }
    rq->output_offset = es_rd_i32(w + ES_WP_OUTPUT_ZERO_POINT);
    rq->act_min = es_rd_i32(w + ES_WP_ACT_MIN);
    rq->act_max = es_rd_i32(w + ES_WP_ACT_MAX);
}

static void run_weighted(const run_t *r, const es_op_t *op) {
    const uint8_t *w = op->params;
    es_tensor_t in, filt, out;
    tensor(r, op->inputs[0], &in);
    tensor(r, op->inputs[1], &filt);
    tensor(r, op->output, &out);
    const int8_t *filter = (const int8_t *)(r->model + filt.offset);
    if (op->opcode == ES_OP_FULLY_CONNECTED) {
        es_fc_params_t p;
        p.depth = filt.dims[1];
        p.out_ch = filt.dims[0];
        p.batches = (int32_t)(es_tensor_elements(&in) / (uint32_t)p.depth);
        p.input_offset = -es_rd_i32(w + ES_WP_INPUT_ZERO_POINT);
        p.filter_offset = -es_rd_i32(w + ES_WP_FILTER_ZERO_POINT);
        p.double_round = es_rd_u16(w + ES_WP_REQUANT_MODE) == ES_REQUANT_DOUBLE_ROUND;
        fill_requant(r, op, &p.rq);
        es_run_fully_connected_s8(&p, data_of(r, &in), filter, output_of(r, &out));
        return;
    }
    es_conv_params_t p;
    p.batches = in.dims[0];
    p.in_h = in.dims[1];
    p.in_w = in.dims[2];
    p.in_ch = in.dims[3];
    p.out_h = out.dims[1];
    p.out_w = out.dims[2];
    p.out_ch = out.dims[3];
    p.stride_h = es_rd_u16(w + ES_WP_STRIDE_H);
    p.stride_w = es_rd_u16(w + ES_WP_STRIDE_W);
    p.dilation_h = es_rd_u16(w + ES_WP_DILATION_H);
    p.dilation_w = es_rd_u16(w + ES_WP_DILATION_W);
    p.pad_top = es_rd_u16(w + ES_WP_PAD_TOP);
    p.pad_left = es_rd_u16(w + ES_WP_PAD_LEFT);
    p.filter_h = es_rd_u16(w + ES_WP_FILTER_H);
    p.filter_w = es_rd_u16(w + ES_WP_FILTER_W);
    p.depth_multiplier = es_rd_u16(w + ES_WP_DEPTH_MULTIPLIER);
    p.input_offset = -es_rd_i32(w + ES_WP_INPUT_ZERO_POINT);
    fill_requant(r, op, &p.rq);
    #if !EARSHOT_KERNELS_REFERENCE
    if (op->opcode == ES_OP_CONV_2D
        ? es_conv_pixel_s8_opt(&p, data_of(r, &in), filter, output_of(r, &out))
        : es_depthwise_pixel_s8_opt(&p, data_of(r, &in), filter, output_of(r, &out))) {
        return;
    }
    #endif
    if (op->opcode == ES_OP_CONV_2D) {
        es_run_conv_s8(&p, data_of(r, &in), filter, output_of(r, &out));
    } else {
        es_run_depthwise_conv_s8(&p, data_of(r, &in), filter, output_of(r, &out));
    }
}

static void run_pool(const run_t *r, const es_op_t *op) {
    const uint8_t *q = op->params; // the ES_PP_* offsets of model_format.h
    es_tensor_t in, out;
    tensor(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_pool_kernel_params_t p;
    p.batches = in.dims[0];
    p.in_h = in.dims[1];
    p.in_w = in.dims[2];
    p.channels = in.dims[3];
    p.out_h = out.dims[1];
    p.out_w = out.dims[2];
    p.stride_h = es_rd_u16(q + ES_PP_STRIDE_H);
    p.stride_w = es_rd_u16(q + ES_PP_STRIDE_W);
    p.filter_h = es_rd_u16(q + ES_PP_FILTER_H);
    p.filter_w = es_rd_u16(q + ES_PP_FILTER_W);
    p.pad_top = es_rd_u16(q + ES_PP_PAD_TOP);
    p.pad_left = es_rd_u16(q + ES_PP_PAD_LEFT);
    p.act_min = es_rd_i32(q + ES_PP_ACT_MIN);
    p.act_max = es_rd_i32(q + ES_PP_ACT_MAX);
    if (op->opcode == ES_OP_AVERAGE_POOL_2D) {
        es_avg_pool_s8(&p, data_of(r, &in), output_of(r, &out));
    } else {
        es_max_pool_s8(&p, data_of(r, &in), output_of(r, &out));
    }
}

// The broadcast of in1 and in2 to out; NULL when both have out's element count (the
// same shape: model_check.c proved the shapes broadcast).
static const es_broadcast_t *broadcast_of(const es_tensor_t *in1, const es_tensor_t *in2,
    const es_tensor_t *out, es_broadcast_t *bc) {
    const uint32_t n = es_tensor_elements(out);
    if (es_tensor_elements(in1) == n && es_tensor_elements(in2) == n) {
        return NULL;
    }
    uint32_t a[4], b[4];
    es_padded_dims(in1, a);
    es_padded_dims(in2, b);
    es_padded_dims(out, bc->dims);
    uint32_t sa = 1, sb = 1;
    for (int d = 3; d >= 0; --d) {
        bc->stride1[d] = a[d] == 1 ? 0 : sa;
        bc->stride2[d] = b[d] == 1 ? 0 : sb;
        sa *= a[d];
        sb *= b[d];
    }
    return bc;
}

// The two inputs and the output of ADD or MUL, and their broadcast (NULL: same shapes).
static const es_broadcast_t *binary_op(const run_t *r, const es_op_t *op, es_tensor_t *in1,
    es_tensor_t *in2, es_tensor_t *out, es_broadcast_t *bc) {
    tensor(r, op->inputs[0], in1);
    tensor(r, op->inputs[1], in2);
    tensor(r, op->output, out);
    return broadcast_of(in1, in2, out, bc);
}

static void run_add(const run_t *r, const es_op_t *op) {
    es_tensor_t in1, in2, out;
    es_broadcast_t bc;
    const es_broadcast_t *broadcast = binary_op(r, op, &in1, &in2, &out, &bc);
    // The kernel's parameters after `size` are the 12 int32 of the parameter block, in
    // its order (model_format.h es_add_params_t), with the input zero points negated.
    es_add_kernel_params_t p;
    _Static_assert(offsetof(es_add_kernel_params_t, act_max)
        - offsetof(es_add_kernel_params_t, input1_offset) == 11 * sizeof(int32_t),
        "es_add_kernel_params_t follows the ADD parameter block");
    _Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian int32 copy");
    p.size = es_tensor_elements(&out);
    memcpy((uint8_t *)&p + offsetof(es_add_kernel_params_t, input1_offset), op->params,
        ES_ADD_PARAMS_SIZE);
    p.input1_offset = -p.input1_offset;
    p.input2_offset = -p.input2_offset;
    es_add_s8(&p, broadcast, data_of(r, &in1), data_of(r, &in2), output_of(r, &out));
}

static const uint8_t *bytes_of(const run_t *r, uint16_t index, es_tensor_t *t) {
    tensor(r, index, t);
    return (const uint8_t *)data_of(r, t);
}

static void run_copy(const run_t *r, const es_op_t *op) {
    es_tensor_t in, out;
    const uint8_t *from = bytes_of(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_copy_variable((uint8_t *)output_of(r, &out), from, out.byte_size);
}

static void run_concatenation(const run_t *r, const es_op_t *op) {
    es_tensor_t out, in;
    tensor(r, op->output, &out);
    const uint32_t axis = (uint32_t)es_rd_i32(op->params + ES_CONCAT_AXIS);
    es_concat_kernel_params_t p;
    p.count = op->input_count;
    p.outer = 1;
    for (uint32_t d = 0; d < axis; ++d) {
        p.outer *= out.dims[d];
    }
    const uint8_t *inputs[3] = { NULL, NULL, NULL };
    for (uint32_t k = 0; k < p.count; ++k) {
        inputs[k] = bytes_of(r, op->inputs[k], &in);
        p.copy_size[k] = es_tensor_elements(&in) / p.outer;
    }
    es_concatenation(&p, inputs, (uint8_t *)output_of(r, &out));
}

static void run_strided_slice(const run_t *r, const es_op_t *op) {
    es_tensor_t in, out;
    const uint8_t *input = bytes_of(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_slice_kernel_params_t p;
    es_padded_dims(&in, p.in_dims);
    for (uint32_t d = 0; d < 4; ++d) {
        p.begin[d] = es_rd_i32(op->params + ES_SLICE_BEGIN + 4 * d);
        p.stride[d] = es_rd_i32(op->params + ES_SLICE_STRIDE + 4 * d);
        p.count[d] = es_rd_u16(op->params + ES_SLICE_COUNT + 2 * d);
    }
    es_strided_slice(&p, input, (uint8_t *)output_of(r, &out));
}

static void run_logistic(const run_t *r, const es_op_t *op) {
    es_tensor_t in, out;
    const uint8_t *input = bytes_of(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    const uint8_t *table = r->model + es_rd_u32(op->params + ES_LOGISTIC_TABLE);
    es_logistic(table, input, (uint8_t *)output_of(r, &out), out.byte_size);
}

static void run_quantize(const run_t *r, const es_op_t *op) {
    es_tensor_t in, out;
    const uint8_t *input = bytes_of(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_quantize_kernel_params_t p;
    p.size = out.byte_size;
    p.input_signed = in.dtype == ES_DTYPE_INT8;
    p.output_signed = out.dtype == ES_DTYPE_INT8;
    p.input_zero_point = es_rd_i32(op->params + ES_QUANTIZE_INPUT_ZERO_POINT);
    p.output_zero_point = es_rd_i32(op->params + ES_QUANTIZE_OUTPUT_ZERO_POINT);
    p.multiplier = es_rd_i32(op->params + ES_QUANTIZE_MULTIPLIER);
    p.shift = es_rd_i32(op->params + ES_QUANTIZE_SHIFT);
    es_quantize(&p, input, (uint8_t *)output_of(r, &out));
}

static void run_mul(const run_t *r, const es_op_t *op) {
    es_tensor_t in1, in2, out;
    es_broadcast_t bc;
    const es_broadcast_t *broadcast = binary_op(r, op, &in1, &in2, &out, &bc);
    const uint8_t *q = op->params;
    es_mul_kernel_params_t p;
    p.size = es_tensor_elements(&out);
    p.input1_offset = -es_rd_i32(q + ES_MUL_INPUT1_ZERO_POINT);
    p.input2_offset = -es_rd_i32(q + ES_MUL_INPUT2_ZERO_POINT);
    p.output_offset = es_rd_i32(q + ES_MUL_OUTPUT_ZERO_POINT);
    p.multiplier = es_rd_i32(q + ES_MUL_MULTIPLIER);
    p.shift = es_rd_i32(q + ES_MUL_SHIFT);
    p.act_min = es_rd_i32(q + ES_MUL_ACT_MIN);
    p.act_max = es_rd_i32(q + ES_MUL_ACT_MAX);
    es_mul_s8(&p, broadcast, data_of(r, &in1), data_of(r, &in2), output_of(r, &out));
}

static void run_pad(const run_t *r, const es_op_t *op) {
    es_tensor_t in, out;
    const uint8_t *input = bytes_of(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_pad_kernel_params_t p;
    es_padded_dims(&in, p.in_dims);
    es_padded_dims(&out, p.out_dims);
    for (uint32_t d = 0; d < 4; ++d) {
        p.before[d] = es_rd_u16(op->params + ES_PAD_BEFORE + 2 * d);
    }
    p.pad_value = (uint8_t)es_rd_i32(op->params + ES_PAD_VALUE);
    es_pad(&p, input, (uint8_t *)output_of(r, &out));
}

static void run_mean(const run_t *r, const es_op_t *op) {
    es_tensor_t in, out;
    tensor(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_mean_kernel_params_t p;
    es_padded_dims(&in, p.dims);
    const uint32_t mask = es_rd_u32(op->params + ES_MEAN_AXIS_MASK);
    for (uint32_t d = 0; d < 4; ++d) {
        p.reduce[d] = (mask >> d) & 1;
    }
    p.input_offset = -es_rd_i32(op->params + ES_MEAN_INPUT_ZERO_POINT);
    p.output_offset = es_rd_i32(op->params + ES_MEAN_OUTPUT_ZERO_POINT);
    p.multiplier = es_rd_i32(op->params + ES_MEAN_MULTIPLIER);
    p.shift = es_rd_i32(op->params + ES_MEAN_SHIFT);
    es_mean_s8(&p, data_of(r, &in), output_of(r, &out));
}

static void run_softmax(const run_t *r, const es_op_t *op) {
    es_softmax_params_t s;
    es_read_softmax_params(op->params, &s);
    es_tensor_t in, out;
    tensor(r, op->inputs[0], &in);
    tensor(r, op->output, &out);
    es_softmax_kernel_params_t p;
    p.depth = in.dims[in.rank - 1];
    p.rows = es_tensor_elements(&in) / p.depth;
    p.input_beta_multiplier = s.input_beta_multiplier;
    p.input_beta_left_shift = s.input_beta_left_shift;
    p.diff_min = s.diff_min;
    es_softmax_s8(&p, data_of(r, &in), output_of(r, &out));
}

__attribute__((weak)) uint32_t earshot_cycles(void) {
    return 0;
}

void es_model_reset(const uint8_t *tables, const uint8_t *data, uint8_t *arena) {
    es_header_t h;
    es_read_header(tables, &h);
    for (uint32_t i = 0; i < h.tensor_count; ++i) {
        es_tensor_t t;
        es_read_tensor(tables, &h, i, &t);
        if (t.kind == ES_KIND_STATE && t.alias_of == ES_NO_TENSOR) {
            memcpy(arena + t.offset, data + t.init_offset, t.byte_size);
        }
    }
}

void es_model_run(const uint8_t *tables, const uint8_t *data, uint8_t *arena, uint32_t *ticks) {
    run_t r;
    r.tables = tables;
    r.model = data;
    r.arena = arena;
    es_read_header(tables, &r.h);
    for (uint32_t i = 0; i < r.h.op_count; ++i) {
        uint32_t start = ticks ? earshot_cycles() : 0;
        es_op_t op;
        es_read_op(tables, &r.h, i, &op);
        switch (op.opcode) {
            case ES_OP_CONV_2D:
            case ES_OP_DEPTHWISE_CONV_2D:
            case ES_OP_FULLY_CONNECTED:
                run_weighted(&r, &op);
                break;
            case ES_OP_AVERAGE_POOL_2D:
            case ES_OP_MAX_POOL_2D:
                run_pool(&r, &op);
                break;
            case ES_OP_ADD:
                run_add(&r, &op);
                break;
            case ES_OP_SOFTMAX:
                run_softmax(&r, &op);
                break;
            case ES_OP_ASSIGN_VARIABLE:
            case ES_OP_READ_VARIABLE:
                run_copy(&r, &op);
                break;
            case ES_OP_CONCATENATION:
                run_concatenation(&r, &op);
                break;
            case ES_OP_STRIDED_SLICE:
                run_strided_slice(&r, &op);
                break;
            case ES_OP_LOGISTIC:
                run_logistic(&r, &op);
                break;
            case ES_OP_QUANTIZE:
                run_quantize(&r, &op);
                break;
            case ES_OP_MUL:
                run_mul(&r, &op);
                break;
            case ES_OP_PAD:
                run_pad(&r, &op);
                break;
            case ES_OP_MEAN:
                run_mean(&r, &op);
                break;
            default:
                break;
        }
        if (ticks) {
            ticks[i] = earshot_cycles() - start;
        }
    }
}
