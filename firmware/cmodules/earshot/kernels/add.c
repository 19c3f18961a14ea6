// int8 ADD (TFLite reference_integer_ops::Add / BroadcastAdd4DSlow, FORMAT.md §3.4).

#include "broadcast.h"
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
    const uint32_t rows = es_broadcast_rows(bc);
    for (uint32_t row = 0; row < rows; ++row) {
        uint32_t i1, i2;
        es_broadcast_row(bc, row, &i1, &i2);
        for (uint32_t d = 0; d < bc->dims[3]; ++d) {
            *output++ = add_one(p, input1[i1 + d * bc->stride1[3]], input2[i2 + d * bc->stride2[3]]);
        }
    }
}
