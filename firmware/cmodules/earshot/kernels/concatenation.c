// CONCATENATION of 8-bit tensors of equal quantization (TFLite reference_ops::Concatenation,
// FORMAT.md §3.7): a byte copy, input after input, for every step of the outer dims.

#include <string.h>

#include "kernels.h"

void es_concatenation(const es_concat_kernel_params_t *p, const uint8_t *const inputs[3],
    uint8_t *output) {
    for (uint32_t o = 0; o < p->outer; ++o) {
        for (uint32_t k = 0; k < p->count; ++k) {
            const uint32_t n = p->copy_size[k];
            memcpy(output, inputs[k] + (size_t)o * n, n);
            output += n;
        }
    }
}
