// Bare-metal front-end harness (python -m earshot_host.bench.frontend_stages): the real
// dsp/ sources, compiled for a Cortex-M core, run hop by hop on audio baked into the image
// (fe_data.c, generated from a model's front-end tables and a clip). Runs on QEMU (the
// machine of qemu_m0 or qemu_m4: a Cortex-M0 that faults on unaligned loads, or a
// Cortex-M4; semihosting) or in rp2040js (whose runner serves the same semihosting
// calls). It prints every frame's raw and int8 values as hex lines, so the host checks
// them against its reference; the runner meanwhile counts instructions (QEMU) or cycles
// (rp2040js) per address between hop_begin and hop_end.
#include <stdint.h>

#include "dsp/dsp.h"

// Generated (fe_data.c): the front end filled in from the model, and the audio.
void fe_setup(es_fe_t *fe);
extern const int16_t fe_audio[];
extern const uint32_t fe_audio_hops;

static void semihost(int op, const void *arg) {
    register int r0 __asm__ ("r0") = op;
    register const void *r1 __asm__ ("r1") = arg;
    __asm__ volatile ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
}

static void put(const char *s) {
    semihost(0x04, s); // SYS_WRITE0
}

static void put_hex(const uint8_t *p, uint32_t n, char tag) {
    static char line[2 + 2 * 1024 + 2];
    static const char digits[] = "0123456789abcdef";
    uint32_t k = 0;
    line[k++] = tag;
    line[k++] = ' ';
    for (uint32_t i = 0; i < n && i < 1024; ++i) {
        line[k++] = digits[p[i] >> 4];
        line[k++] = digits[p[i] & 15];
    }
    line[k++] = '\n';
    line[k] = 0;
    put(line);
}

// Markers the runners find by name: every instruction between a call of hop_begin and
// the next call of hop_end belongs to one hop.
__attribute__((noinline)) void hop_begin(void) {
    __asm__ volatile ("" ::: "memory");
}
__attribute__((noinline)) void hop_end(void) {
    __asm__ volatile ("" ::: "memory");
}

static uint64_t state[1024]; // 8 KiB: okay_nabu's state with every table copied is 7.7 KiB
static int8_t out[256];
static uint8_t raw[512];

int main(void) {
    static es_fe_t fe;
    fe_setup(&fe);
    const es_tab_t *table;
    const char *msg = es_fe_check(&fe, &table);
    if (msg || es_fe_state_bytes(&fe) > sizeof(state)) {
        put("error: ");
        put(msg ? msg : "state too large");
        put("\n");
        return 1;
    }
    es_fe_attach(&fe, state);
    // Only the hops that complete a frame are bracketed (not those filling the window).
    const uint32_t filling = (fe.window + fe.hop - 1) / fe.hop - 1;
    for (uint32_t h = 0; h < fe_audio_hops; ++h) {
        if (h >= filling) {
            hop_begin();
        }
        bool produced = es_fe_push_hop(&fe, (const uint8_t *)(fe_audio + h * fe.hop), out, raw);
        if (h >= filling) {
            hop_end();
        }
        if (produced) {
            put_hex(raw, 2 * fe.features, 'R');
            put_hex((const uint8_t *)out, fe.features, 'Q');
        }
    }
    put("done\n");
    return 0;
}

// Startup: stack from the linker script, .data copied, .bss zeroed, then main and exit.
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

__attribute__((noreturn)) void harness_reset(void) {
    for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;) {
        *d++ = *s++;
    }
    for (uint32_t *d = &_sbss; d < &_ebss;) {
        *d++ = 0;
    }
    #if defined(__ARM_FP)
    // Enable the FPU (CP10, CP11) before any floating-point instruction.
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile ("dsb\n\tisb");
    #endif
    int status = main();
    // SYS_EXIT with ADP_Stopped_ApplicationExit (0x20026) or RunTimeErrorUnknown (0x20023).
    semihost(0x18, (const void *)(status ? 0x20023 : 0x20026));
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static const void *const vectors[2] = {
    &_estack, (const void *)harness_reset,
};
