// int8 MUL (TFLite reference_integer_ops::Mul / BroadcastMul4DSlow, FORMAT.md §3.11):
// MultiplyByQuantizedMultiplier((x - zp1) * (y - zp2)) + zp_out, clamped.

#include "broadcast.h"
#include "kernels.h"
#include "requantize.h"

static inline int8_t mul_one(const es_mul_kernel_params_t *p, int8_t x, int8_t y) {
    const int32_t product = ((int32_t)x + p->input1_offset) * ((int32_t)y + p->input2_offset);
    int32_t v = es_mbqm(product, p->multiplier, p->shift);
    v = es_clamp(v, -1024, 1024) + p->output_offset;
    return (int8_t)es_clamp(v, p->act_min, p->act_max);
}

void es_mul_s8(const es_mul_kernel_params_t *p, const es_broadcast_t *broadcast,
    const int8_t *input1, const int8_t *input2, int8_t *output) {
    if (broadcast == NULL) {
        for (uint32_t i = 0; i < p->size; ++i) {
            output[i] = mul_one(p, input1[i], input2[i]);
        }
        return;
    }
    const es_broadcast_t *bc = broadcast;
    const uint32_t rows = es_broadcast_rows(bc);
    for (uint32_t row = 0; row < rows; ++row) {
        uint32_t i1, i2;
        es_broadcast_row(bc, row, &i1, &i2);
        for (uint32_t d = 0; d < bc->dims[3]; ++d) {
            *output++ = mul_one(p, input1[i1 + d * bc->stride1[3]], input2[i2 + d * bc->stride2[3]]);
        }
    }
}
