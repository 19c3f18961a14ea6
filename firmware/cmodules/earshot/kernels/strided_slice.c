// STRIDED_SLICE of an 8-bit tensor, normalised on the host (FORMAT.md §3.8): begin, stride
// and count per axis of the input padded to 4-D. Rows with stride 1 on the last axis are
// one memcpy.

#include <string.h>

#include "kernels.h"

void es_strided_slice(const es_slice_kernel_params_t *p, const uint8_t *input, uint8_t *output) {
    const uint32_t *dims = p->in_dims;
    for (uint32_t a = 0; a < p->count[0]; ++a) {
        const int32_t i0 = p->begin[0] + (int32_t)a * p->stride[0];
        for (uint32_t b = 0; b < p->count[1]; ++b) {
            const int32_t i1 = p->begin[1] + (int32_t)b * p->stride[1];
            for (uint32_t c = 0; c < p->count[2]; ++c) {
                const int32_t i2 = p->begin[2] + (int32_t)c * p->stride[2];
                const uint8_t *row = input
                    + (((size_t)i0 * dims[1] + (size_t)i1) * dims[2] + (size_t)i2) * dims[3];
                if (p->stride[3] == 1) {
                    memcpy(output, row + p->begin[3], p->count[3]);
                    output += p->count[3];
                    continue;
                }
                for (uint32_t d = 0; d < p->count[3]; ++d) {
                    *output++ = row[p->begin[3] + (int32_t)d * p->stride[3]];
                }
            }
        }
    }
}
