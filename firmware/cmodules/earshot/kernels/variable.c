// ASSIGN_VARIABLE and READ_VARIABLE: a variable's bytes copied to or from a tensor
// (FORMAT.md §3.6).

#include <string.h>

#include "kernels.h"

void es_copy_variable(uint8_t *to, const uint8_t *from, uint32_t size) {
    if (to != from) {
        memmove(to, from, size);
    }
}
