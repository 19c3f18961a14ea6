// Raspberry Pi Pico with an I2S microphone: the RPI_PICO configuration plus earshot's.
#include "boards/RPI_PICO/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico + I2S microphone (earshot)"

// C stack (firmware/config/earshot_stack.h): the rp2 port's 8 KiB (SCRATCH_X and _Y), less
// its 256-byte check margin, less 3.5 KiB for the Cortex-M0+ kernels (deepest chain 3,392).
#define EARSHOT_C_STACK_BYTES (8192)
#define EARSHOT_PORT_STACK_MARGIN (256)
#define EARSHOT_KERNEL_STACK_BYTES (3584)
#include "../../firmware/config/earshot_stack.h"
