// QUANTIZE between 8-bit tensors (TFLite reference_ops::Requantize, FORMAT.md §3.10):
// MultiplyByQuantizedMultiplier(x - input_zp, multiplier, shift) + output_zp, clamped to
// the output type (int8 or uint8).

#include "kernels.h"
#include "requantize.h"

void es_quantize(const es_quantize_kernel_params_t *p, const uint8_t *input, uint8_t *output) {
    const int32_t low = p->output_signed ? -128 : 0;
    const int32_t high = p->output_signed ? 127 : 255;
    for (uint32_t i = 0; i < p->size; ++i) {
        const int32_t x = p->input_signed ? (int32_t)(int8_t)input[i] : (int32_t)input[i];
        int32_t v = es_mbqm(x - p->input_zero_point, p->multiplier, p->shift);
        v = es_clamp(v, -1024, 1024) + p->output_zero_point;
        output[i] = (uint8_t)es_clamp(v, low, high);
    }
}
