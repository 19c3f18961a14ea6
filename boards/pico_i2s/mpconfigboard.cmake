# Raspberry Pi Pico (RP2040) with an I2S MEMS microphone (INMP441 / SPH0645 class).
# Derived from the port's RPI_PICO board; earshot adds its frozen package.
include(${MICROPY_PORT_DIR}/boards/RPI_PICO/mpconfigboard.cmake)
set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
# C stack limit per function of earshot's module (the Cortex-M0+ kernels keep < 3 KiB;
# MicroPython's stack on the RP2040 is 8 KiB).
set(EARSHOT_STACK_USAGE_BYTES 3072)
