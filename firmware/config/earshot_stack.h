// C stack of a real board (README "C stack"), included by its mpconfigboard.h after it
// sets EARSHOT_C_STACK_BYTES (the stack its port gives MicroPython), EARSHOT_PORT_STACK_MARGIN
// (what the port keeps below MicroPython's stack-check limit) and EARSHOT_KERNEL_STACK_BYTES
// (what earshot's C kernels need below the deepest Python call). MicroPython checks its
// stack only at Python calls, never inside the kernels: the limit Python may reach is
// lowered by the kernels' reserve, so a deeper recursion raises RuntimeError instead of
// the kernels running past the stack. Set in mp_init(), at every (soft) reset.
#ifndef EARSHOT_CONFIG_EARSHOT_STACK_H
#define EARSHOT_CONFIG_EARSHOT_STACK_H

#if !defined(EARSHOT_C_STACK_BYTES) || !defined(EARSHOT_PORT_STACK_MARGIN) \
    || !defined(EARSHOT_KERNEL_STACK_BYTES)
#error the board sets EARSHOT_C_STACK_BYTES, EARSHOT_PORT_STACK_MARGIN and EARSHOT_KERNEL_STACK_BYTES
#endif

#define MICROPY_PORT_INIT_FUNC \
    (MP_STATE_THREAD(stack_limit) = \
         EARSHOT_C_STACK_BYTES - EARSHOT_PORT_STACK_MARGIN - EARSHOT_KERNEL_STACK_BYTES)

#endif // EARSHOT_CONFIG_EARSHOT_STACK_H
