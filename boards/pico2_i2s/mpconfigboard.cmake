# Raspberry Pi Pico 2 (RP2350, Arm Cortex-M33 cores with DSP and FPU) with an I2S MEMS
# microphone. Derived from the port's RPI_PICO2 board (its Arm variant); earshot adds its
# frozen package.
include(${MICROPY_PORT_DIR}/boards/RPI_PICO2/mpconfigboard.cmake)
set(PICO_PLATFORM "rp2350")
set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
# C stack limit per function of earshot's module (the DSP kernels keep < 7 KiB).
set(EARSHOT_STACK_USAGE_BYTES 7168)
