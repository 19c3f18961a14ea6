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

static void run_add(const run_t *r, const es_op_t *op) {
    es_tensor_t in1, in2, out;
    tensor(r, op->inputs[0], &in1);
    tensor(r, op->inputs[1], &in2);
    tensor(r, op->output, &out);
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
    es_add_s8(&p, data_of(r, &in1), data_of(r, &in2), output_of(r, &out));
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
    (void)tables;
    (void)data;
    (void)arena;
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
            default:
                break;
        }
        if (ticks) {
            ticks[i] = earshot_cycles() - start;
        }
    }
}
