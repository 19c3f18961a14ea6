// int8 MEAN as LiteRT's reference kernel computes it (FORMAT.md §3.13): the sum of
// (x - input_zp) over the reduced axes, scaled by MultiplyByQuantizedMultiplier with the
// host's multiplier for in_scale / out_scale / count, plus the output zero point.

#include "kernels.h"
#include "requantize.h"

void es_mean_s8(const es_mean_kernel_params_t *p, const int8_t *input, int8_t *output) {
    const uint32_t *n = p->dims;
    uint32_t span[4]; // output extent per axis: 1 along reduced axes
    uint32_t count[4]; // reduced extent per axis: 1 along kept axes
    for (uint32_t d = 0; d < 4; ++d) {
        span[d] = p->reduce[d] ? 1 : n[d];
        count[d] = p->reduce[d] ? n[d] : 1;
    }
    for (uint32_t a = 0; a < span[0]; ++a) {
        for (uint32_t b = 0; b < span[1]; ++b) {
            for (uint32_t c = 0; c < span[2]; ++c) {
                for (uint32_t d = 0; d < span[3]; ++d) {
                    uint32_t sum = 0; // int32 arithmetic that wraps, as in the reference
                    for (uint32_t i = 0; i < count[0]; ++i) {
                        for (uint32_t j = 0; j < count[1]; ++j) {
                            for (uint32_t k = 0; k < count[2]; ++k) {
                                const int8_t *row = input
                                    + (((size_t)(a + i) * n[1] + (b + j)) * n[2] + (c + k)) * n[3]
                                    + d;
                                for (uint32_t l = 0; l < count[3]; ++l) {
                                    sum += (uint32_t)((int32_t)row[l] + p->input_offset);
                                }
                            }
                        }
                    }
                    int32_t v = es_mbqm((int32_t)sum, p->multiplier, p->shift);
                    v = es_clamp(v, -1024, 1024) + p->output_offset;
                    *output++ = (int8_t)es_clamp(v, -128, 127);
                }
            }
        }
    }
}
