# Cortex-M7 on QEMU's "mps2-an500" machine, built with the FPU and the DSP extension.
EARSHOT_CORE_CLOCK_HZ = 25000000
# C stack limit per function of earshot's module (firmware/config/earshot.mk).
EARSHOT_STACK_USAGE_BYTES = 7168
# C stack: 16384 bytes (an STM32F7-class 16 KiB stack), of which 7680 are kept for the
# kernels below the deepest Python call (their deepest chain, es_model_run down, plus margin).
EARSHOT_C_STACK_BYTES = 16384
EARSHOT_KERNEL_STACK_BYTES = 7680
# Two model slots of 1 MiB: the 4 MiB flash less a 2 MiB firmware region, halved
# (docs/MODEL_STORE.md).
EARSHOT_MODEL_SLOT_BYTES = 1048576
include $(EARSHOT_DIR)/firmware/config/qemu.mk

QEMU_MACHINE = mps2-an500

CFLAGS += -mthumb -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2 -DMICROPY_HW_MCU_NAME='"Cortex-M7"'
SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o
MPY_CROSS_FLAGS += -march=armv7emdp

# A Cortex-M7 part with 320 KiB of SRAM (STM32F746 class): 256 KiB of heap.
MICROPY_HEAP_SIZE = 262144
