// Walking two inputs broadcast to an output (es_broadcast_t, kernels.h) row by row.
#ifndef EARSHOT_KERNELS_BROADCAST_H
#define EARSHOT_KERNELS_BROADCAST_H

#include "kernels.h"

// Rows of the output: the product of its first three (padded) dims.
static inline uint32_t es_broadcast_rows(const es_broadcast_t *bc) {
    return bc->dims[0] * bc->dims[1] * bc->dims[2];
}

// The element offsets of output row `row` (its first element) in input 1 and input 2.
static inline void es_broadcast_row(const es_broadcast_t *bc, uint32_t row, uint32_t *first1,
    uint32_t *first2) {
    const uint32_t c = row % bc->dims[2];
    const uint32_t b = row / bc->dims[2] % bc->dims[1];
    const uint32_t a = row / bc->dims[2] / bc->dims[1];
    *first1 = a * bc->stride1[0] + b * bc->stride1[1] + c * bc->stride1[2];
    *first2 = a * bc->stride2[0] + b * bc->stride2[1] + c * bc->stride2[2];
}

#endif // EARSHOT_KERNELS_BROADCAST_H
