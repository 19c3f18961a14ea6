# Cortex-M33 (Armv8-M Mainline with FPU and DSP extension, the core of the RP2350) on QEMU's
# "mps2-an505" machine (Arm's SSE-200 subsystem), run in its Secure state. The qemu port
# has no board for this machine: the memory map is in mps2_an505.ld, and its UART (at the
# SSE-200's address, not the AN385's) comes from firmware/cmodules/qemu_board.
EARSHOT_CORE_CLOCK_HZ = 20000000
# C stack limit per function of earshot's module (firmware/config/earshot.mk).
EARSHOT_STACK_USAGE_BYTES = 7168
# C stack: 12288 bytes (the RP2350's: MicroPython's rp2 port gives its main core 12 KiB),
# of which 7680 are kept for the kernels below the deepest Python call (their deepest
# chain, es_model_run down, plus margin). MSPLIM guards its end (qemu_board_hooks.h).
EARSHOT_C_STACK_BYTES = 12288
EARSHOT_KERNEL_STACK_BYTES = 7680
# Two model slots of 1 MiB: the 4 MiB flash less a 2 MiB firmware region, halved
# (docs/MODEL_STORE.md).
EARSHOT_MODEL_SLOT_BYTES = 1048576
include $(EARSHOT_DIR)/firmware/config/qemu.mk

QEMU_MACHINE = mps2-an505

CFLAGS += -mthumb -mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_AN505 -DMICROPY_HW_MCU_NAME='"Cortex-M33"'
LDSCRIPT = $(BOARD_DIR)/mps2_an505.ld
# (gchelper_thumb2.s is assembled without -mcpu and will not link with Armv8-M code.)
SRC_BOARD_O = shared/runtime/gchelper_generic.o
MPY_CROSS_FLAGS += -march=armv7emsp

# A Cortex-M33 part with 520 KiB of SRAM (RP2350 class): 256 KiB of heap.
MICROPY_HEAP_SIZE = 262144
