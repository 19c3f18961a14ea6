# Cortex-M0 on QEMU's "microbit" machine (nRF51).
EARSHOT_CORE_CLOCK_HZ = 16000000
# C stack limit per function of earshot's module (firmware/config/earshot.mk).
EARSHOT_STACK_USAGE_BYTES = 3072
# C stack: 10240 bytes (the 10 KiB nrf51_32k.ld keeps), of which 3584 are kept for the kernels
# below the deepest Python call (their deepest chain, es_model_run down, plus margin).
EARSHOT_C_STACK_BYTES = 10240
EARSHOT_KERNEL_STACK_BYTES = 3584
include $(EARSHOT_DIR)/firmware/config/qemu.mk

QEMU_MACHINE = microbit

CFLAGS += -mthumb -mcpu=cortex-m0 -mfloat-abi=soft
CFLAGS += -DQEMU_SOC_NRF51 -DMICROPY_HW_MCU_NAME='"Cortex-M0"'
LDSCRIPT = $(BOARD_DIR)/nrf51_32k.ld
SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb1.o
MPY_CROSS_FLAGS += -march=armv6m

# A small Cortex-M0 part with 32 KiB of SRAM (nRF51822-QFAC / SAMD21 class): 20 KiB of
# MicroPython heap, the rest for the C stack (10 KiB, see nrf51_32k.ld) and static data.
MICROPY_HEAP_SIZE = 20480
