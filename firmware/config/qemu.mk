# Layer for the QEMU Cortex-M boards (ports/qemu, used through BOARD_DIR=).
include $(EARSHOT_DIR)/firmware/config/earshot.mk

QEMU_ARCH = arm

# The qemu port has no board header and no time module. This forced include declares
# the board hook that mp_init() calls: it starts the SysTick time base (firmware/cmodules/
# qemu_board provides it, with the time module) and enables the FPU where there is one.
CFLAGS += -include $(EARSHOT_DIR)/firmware/config/qemu_board_hooks.h
# The port's vector table sends SysTick to a fault handler; send it to the time base.
# (Cortex-M0 has no VTOR to move the table, so this is done when linking, for all cores.)
LDFLAGS += -Wl,--defsym=SysTick_Handler=qemu_board_systick_handler
# C stack (qemu_board_hooks.h): the board's stack below _estack, and the part of it kept
# for earshot's kernels below the deepest Python call.
CFLAGS += -DEARSHOT_C_STACK_BYTES=$(EARSHOT_C_STACK_BYTES)
LDFLAGS += -Wl,--defsym=earshot_stack_top=_estack
CFLAGS += -DEARSHOT_KERNEL_STACK_BYTES=$(EARSHOT_KERNEL_STACK_BYTES)
# Frequency of the core clock that drives SysTick on these machines.
CFLAGS += -DEARSHOT_CORE_CLOCK_HZ=$(EARSHOT_CORE_CLOCK_HZ)

LDSCRIPT ?= mcu/arm/mps2.ld

# Model slots (firmware/cmodules/qemu_board/modqemu_board.c): two segments of this many
# bytes standing for the flash a real board keeps models in; 0 (the default) for none.
EARSHOT_MODEL_SLOT_BYTES ?= 0
CFLAGS += -DEARSHOT_MODEL_SLOT_BYTES=$(EARSHOT_MODEL_SLOT_BYTES)
