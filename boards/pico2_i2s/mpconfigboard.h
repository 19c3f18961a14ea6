// Raspberry Pi Pico 2 with an I2S microphone: the RPI_PICO2 configuration plus earshot's.
#include "boards/RPI_PICO2/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico 2 + I2S microphone (earshot)"

// C stack (firmware/config/earshot_stack.h): the rp2 port's 12 KiB on the RP2350 (4 KiB of
// main SRAM and SCRATCH_X and _Y), less its 256-byte check margin, less 7.5 KiB for the
// DSP kernels (deepest chain 7,248 bytes): about 4.3 KiB are left for Python.
#define EARSHOT_C_STACK_BYTES (12288)
#define EARSHOT_PORT_STACK_MARGIN (256)
#define EARSHOT_KERNEL_STACK_BYTES (7680)
#include "../../firmware/config/earshot_stack.h"
