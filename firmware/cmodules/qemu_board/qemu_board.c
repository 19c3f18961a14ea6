// Board support for earshot's QEMU Cortex-M boards.
//
// The qemu port's vector table sends SysTick to a fault handler; the board layer links
// SysTick_Handler to qemu_board_systick_handler instead (see firmware/config/qemu.mk),
// and qemu_board_init() (run by mp_init() through MICROPY_PORT_INIT_FUNC) starts a 1 ms
// SysTick. SysTick runs from the core clock; under `qemu -icount shift=0` that clock
// advances with executed instructions, so every tick count is deterministic. On cores with an FPU the FPU is enabled here too, before any
// floating-point code runs.

#include "py/mpconfig.h"
#include "qemu_board.h"

#ifndef EARSHOT_CORE_CLOCK_HZ
#error EARSHOT_CORE_CLOCK_HZ must be set by the board (the SysTick clock)
#endif

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define SYST_CSR REG32(0xe000e010)
#define SYST_RVR REG32(0xe000e014)
#define SYST_CVR REG32(0xe000e018)
#define SCB_ICSR REG32(0xe000ed04)
#define SCB_CPACR REG32(0xe000ed88)

#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)
#define SCB_ICSR_PENDSTSET (1u << 26)

#define CYCLES_PER_MS (EARSHOT_CORE_CLOCK_HZ / 1000u)

static volatile uint32_t systick_ms;

// The SysTick exception (the vector table is pointed here at link time, see qemu.mk).
void qemu_board_systick_handler(void) {
    systick_ms = systick_ms + 1;
}

static void qemu_board_start_time_base(void) {
    SYST_RVR = CYCLES_PER_MS - 1;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CORE;
}

void qemu_board_init(void) {
    #if defined(__ARM_FP)
    // Full access to CP10 and CP11 (the FPU).
    SCB_CPACR |= 0xfu << 20;
    __asm volatile ("dsb\n isb" ::: "memory");
    #endif
    // mp_init() runs again at every soft reset; time keeps counting across them.
    if (!(SYST_CSR & SYST_CSR_ENABLE)) {
        qemu_board_start_time_base();
    }
}

// Time since the time base started, as (milliseconds, core cycles into that millisecond),
// never going backwards. SysTick may have wrapped without its interrupt having run yet:
// either it is pending, or (QEMU raises the pending bit only at the end of a translation
// block) the reading would fall below the previous one. Both times the missing
// millisecond is counted here. (No 64-bit division: libgcc's would drag in unwind tables.)
static uint32_t last_ms, last_cycles;

static uint32_t qemu_board_now(uint32_t *cycles_into_ms) {
    uint32_t ms, cvr, pending;
    do {
        ms = systick_ms;
        cvr = SYST_CVR;
        pending = SCB_ICSR & SCB_ICSR_PENDSTSET;
    } while (ms != systick_ms);
    if (pending) {
        // Read the counter again: the read above may predate the wrap.
        cvr = SYST_CVR;
        ms += 1;
    }
    uint32_t cycles = (CYCLES_PER_MS - 1) - cvr;
    if ((ms == last_ms && cycles < last_cycles) || ms + 1 == last_ms) {
        // Wrapped, and the interrupt has not counted it yet (last_ms never runs ahead).
        ms += 1;
    }
    last_ms = ms;
    last_cycles = cycles;
    *cycles_into_ms = cycles;
    return ms;
}

uint32_t qemu_board_ticks_ms(void) {
    uint32_t cycles;
    return qemu_board_now(&cycles);
}

uint32_t qemu_board_ticks_us(void) {
    uint32_t cycles;
    uint32_t ms = qemu_board_now(&cycles);
    return ms * 1000u + cycles / (CYCLES_PER_MS / 1000u);
}

uint64_t qemu_board_ticks_cpu(void) {
    uint32_t cycles;
    uint32_t ms = qemu_board_now(&cycles);
    return (uint64_t)ms * CYCLES_PER_MS + cycles;
}

// The cycle counter of earshot's per-operator profile (overrides the weak default in
// firmware/cmodules/earshot/model_run.c).
uint32_t earshot_cycles(void) {
    return (uint32_t)qemu_board_ticks_cpu();
}
