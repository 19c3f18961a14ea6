// PAD of an 8-bit tensor (TFLite reference_ops::Pad, FORMAT.md §3.12): the output filled
// with the pad value, then the input's rows copied to their place.

#include <string.h>

#include "kernels.h"

void es_pad(const es_pad_kernel_params_t *p, const uint8_t *input, uint8_t *output) {
    const uint32_t *o = p->out_dims;
    const uint32_t *n = p->in_dims;
    memset(output, p->pad_value, (size_t)o[0] * o[1] * o[2] * o[3]);
    for (uint32_t a = 0; a < n[0]; ++a) {
        for (uint32_t b = 0; b < n[1]; ++b) {
            for (uint32_t c = 0; c < n[2]; ++c) {
                const size_t row = (((size_t)(a + p->before[0]) * o[1] + (b + p->before[1]))
                    * o[2] + (c + p->before[2])) * o[3] + p->before[3];
                memcpy(output + row, input, n[3]);
                input += n[3];
            }
        }
    }
}
