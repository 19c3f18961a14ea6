// Bare-metal check of dsp/fixed_math.c's square roots on a Cortex-M4F (QEMU mps2-an386,
// semihosting): with a single-precision FPU, isqrt32 takes VSQRT of the nearest float and
// corrects it by one; es_isqrt_round64 must equal floor(sqrt(v)) rounded to nearest,
// computed here by bisection, at every value where the floor
// changes or could be missed: r*r - 1, r*r, r*r + r, r*r + r + 1, r*r + 2r for every
// 16-bit r, and the top of the range. Also counts how often the FPU estimate alone (no
// correction) would be wrong, so the test knows the correction is exercised.
// Prints "checked N mismatches M uncorrected_wrong U built_fpu F" and exits.
#include <stdint.h>

#include "dsp/dsp.h"

// fixed_math.c's little-endian table reads call memcpy; no C library here.
void *memcpy(void *dst, const void *src, unsigned int n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

static void semihost(int op, const void *arg) {
    register int r0 __asm__ ("r0") = op;
    register const void *r1 __asm__ ("r1") = arg;
    __asm__ volatile ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
}

static void put(const char *s) {
    semihost(0x04, s); // SYS_WRITE0
}

static void put_u32(uint32_t v) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(buf + i);
}

// floor(sqrt(v)) by bisection on r * r <= v (deliberately unlike fixed_math.c's methods).
static uint32_t floor_sqrt(uint64_t v) {
    uint64_t lo = 0, hi = 65536; // lo * lo <= v < hi * hi for v < 2**32
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (mid * mid <= v) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (uint32_t)lo;
}

static uint32_t checked, mismatches, uncorrected_wrong;

static void check(uint64_t v) {
    if (v >= ((uint64_t)1 << 32)) {
        return;
    }
    uint32_t r = floor_sqrt(v);
    uint32_t want = r + (v - (uint64_t)r * r > r);
    checked++;
    if (es_isqrt_round64(v) != want) {
        mismatches++;
    }
    #if defined(__ARM_FP) && (__ARM_FP & 4)
    float f = (float)(uint32_t)v;
    __asm__ ("vsqrt.f32 %0, %0" : "+t" (f));
    uint32_t e = (uint32_t)f;
    if ((e > 0xffff ? 0xffff : e) != r) {
        uncorrected_wrong++;
    }
    #endif
}

int main(void) {
    for (uint64_t r = 0; r < 65536; ++r) {
        uint64_t sq = r * r;
        if (sq) {
            check(sq - 1);
        }
        check(sq);
        check(sq + r);
        check(sq + r + 1);
        check(sq + 2 * r);
    }
    for (uint64_t v = 0xFFFFFF00u; v <= 0xFFFFFFFFu; ++v) {
        check(v);
    }
    put("checked ");
    put_u32(checked);
    put(" mismatches ");
    put_u32(mismatches);
    put(" uncorrected_wrong ");
    put_u32(uncorrected_wrong);
    #if defined(__ARM_FP) && (__ARM_FP & 4)
    put(" built_fpu 1\n");
    #else
    put(" built_fpu 0\n");
    #endif
    return 0;
}

// Startup: the vector table (initial stack, reset), .data/.bss set up, FPU enabled.
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void reset_handler(void) {
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss; ) {
        *dst++ = 0;
    }
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; // CPACR: CP10, CP11 full access
    __asm__ volatile ("dsb\n isb");
    main();
    static const uint32_t exit_block[2] = { 0x20026, 0 }; // ADP_Stopped_ApplicationExit
    semihost(0x18, exit_block); // SYS_EXIT
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used))
static const void *const vectors[2] = { &_estack, (const void *)reset_handler };
