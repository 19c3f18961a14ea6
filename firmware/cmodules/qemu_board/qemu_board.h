// Time base of earshot's QEMU Cortex-M boards.
#ifndef EARSHOT_QEMU_BOARD_H
#define EARSHOT_QEMU_BOARD_H

#include <stdint.h>

// Milliseconds, microseconds and core clock cycles since qemu_board_init().
uint32_t qemu_board_ticks_ms(void);
uint32_t qemu_board_ticks_us(void);
uint64_t qemu_board_ticks_cpu(void);

// The same cycle count, truncated: earshot's per-operator profile counter.
uint32_t earshot_cycles(void);

#endif // EARSHOT_QEMU_BOARD_H
