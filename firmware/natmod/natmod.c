// What only the native-module build of `_earshot` needs (firmware/natmod/Makefile).
//
// A native module links no C library: the compiler's own calls to memcpy and memset
// (struct copies, zeroed arrays) and the sources' calls go to MicroPython's, through its
// function table; strlen is written here.

#include "py/dynruntime.h"

void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}

void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) {
        ++p;
    }
    return p - s;
}
