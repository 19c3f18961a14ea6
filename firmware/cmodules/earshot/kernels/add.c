// int8 ADD (TFLite reference_integer_ops::Add / BroadcastAdd4DSlow, FORMAT.md §3.4).

#include "kernels.h"
#include "requantize.h"

static inline int8_t add_one(const es_add_kernel_params_t *p, int8_t x, int8_t y) {
    const int32_t a = es_wrap_shl((int32_t)x + p->input1_offset, p->left_shift);
    const int32_t b = es_wrap_shl((int32_t)y + p->input2_offset, p->left_shift);
    const int32_t sa = es_rdbp(es_srdhm(a, p->input1_multiplier), -p->input1_shift);
    const int32_t sb = es_rdbp(es_srdhm(b, p->input2_multiplier), -p->input2_shift);
    const int32_t sum = es_wrap_add(sa, sb);
    int32_t v = es_rdbp(es_srdhm(sum, p->output_multiplier), -p->output_shift);
    v = es_clamp(v, -1024, 1024) + p->output_offset;
    return (int8_t)es_clamp(v, p->act_min, p->act_max);
}

void es_add_s8(const es_add_kernel_params_t *p, const es_broadcast_t *broadcast,
    const int8_t *input1, const int8_t *input2, int8_t *output) {
    if (broadcast == NULL) {
        for (uint32_t i = 0; i < p->size; ++i) {
            output[i] = add_one(p, input1[i], input2[i]);
        }
        return;
    }
    const es_broadcast_t *bc = broadcast;
    for (uint32_t a = 0; a < bc->dims[0]; ++a) {
        for (uint32_t b = 0; b < bc->dims[1]; ++b) {
            for (uint32_t c = 0; c < bc->dims[2]; ++c) {
                const int8_t *x = input1 + a * bc->stride1[0] + b * bc->stride1[1] + c * bc->stride1[2];
                const int8_t *y = input2 + a * bc->stride2[0] + b * bc->stride2[1] + c * bc->stride2[2];
                for (uint32_t d = 0; d < bc->dims[3]; ++d) {
                    *output++ = add_one(p, x[d * bc->stride1[3]], y[d * bc->stride2[3]]);
                }
            }
        }
    }
}
