// LOGISTIC of an 8-bit tensor (FORMAT.md §3.9): LiteRT's reference kernel evaluates a
// 256-entry table made in Prepare with float arithmetic; the host computes the same table
// and the device looks it up. Any table contents are safe (an index is one input byte).

#include "kernels.h"

void es_logistic(const uint8_t *table, const uint8_t *input, uint8_t *output, uint32_t size) {
    for (uint32_t i = 0; i < size; ++i) {
        output[i] = table[input[i]];
    }
}
