// int8 ADD of two same-shape tensors (TFLite reference_integer_ops::Add, FORMAT.md §3.4).

#include "kernels.h"
#include "requantize.h"

void es_add_s8(const es_add_kernel_params_t *p, const int8_t *input1, const int8_t *input2,
    int8_t *output) {
    const int right1 = -p->input1_shift;
    const int right2 = -p->input2_shift;
    const int right_out = -p->output_shift;
    for (uint32_t i = 0; i < p->size; ++i) {
        const int32_t a = es_wrap_shl((int32_t)input1[i] + p->input1_offset, p->left_shift);
        const int32_t b = es_wrap_shl((int32_t)input2[i] + p->input2_offset, p->left_shift);
        const int32_t sa = es_rdbp(es_srdhm(a, p->input1_multiplier), right1);
        const int32_t sb = es_rdbp(es_srdhm(b, p->input2_multiplier), right2);
        const int32_t sum = es_wrap_add(sa, sb);
        int32_t v = es_rdbp(es_srdhm(sum, p->output_multiplier), right_out);
        v = es_clamp(v, -1024, 1024) + p->output_offset;
        output[i] = (int8_t)es_clamp(v, p->act_min, p->act_max);
    }
}
