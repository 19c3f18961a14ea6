// Forced into every translation unit of the QEMU boards (see qemu.mk): the qemu port
// has no board header, so this is where the board hook meets mp_init().
#ifndef EARSHOT_QEMU_BOARD_HOOKS_H
#define EARSHOT_QEMU_BOARD_HOOKS_H

#ifndef __ASSEMBLER__ // assembly sources get the same flags
void qemu_board_init(void);
extern char earshot_stack_top[]; // _estack, by another name (qemu.mk): startup.c declares that

#endif

// C stack (README "C stack"). MicroPython checks its stack only at Python calls, never
// inside earshot's C kernels, which need up to EARSHOT_KERNEL_STACK_BYTES below the
// deepest Python call. The limit Python may reach is therefore the board's C stack
// (EARSHOT_C_STACK_BYTES below _estack) less that reserve: a deeper recursion raises
// RuntimeError instead of the kernels running past the stack. (ports/qemu's main() sets a
// fixed 10240 before mp_init(), which runs this at every soft reset.) On Armv8-M the
// core's stack limit register (MSPLIM) is set to the stack's end as well, so anything that
// does run past it faults at once instead of overwriting the data below.
#if defined(__ARM_ARCH_8M_MAIN__)
#define EARSHOT_STACK_GUARD() \
    __asm volatile ("msr msplim, %0" : : "r" ((unsigned)earshot_stack_top - EARSHOT_C_STACK_BYTES))
#else
#define EARSHOT_STACK_GUARD() ((void)0)
#endif

#define MICROPY_PORT_INIT_FUNC \
    do { \
        qemu_board_init(); \
        MP_STATE_THREAD(stack_limit) = EARSHOT_C_STACK_BYTES - EARSHOT_KERNEL_STACK_BYTES; \
        EARSHOT_STACK_GUARD(); \
    } while (0)

#endif // EARSHOT_QEMU_BOARD_HOOKS_H
