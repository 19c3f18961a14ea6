// Raspberry Pi Pico with an I2S microphone: the RPI_PICO configuration plus earshot's.
#include "boards/RPI_PICO/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico + I2S microphone (earshot)"

// Model slots (docs/MODEL_STORE.md): a 512 KiB ROMFS partition (vfs.rom_ioctl), split
// into two 256 KiB slots by earshot.store, between the 640 KiB firmware region and a
// filesystem shrunk from RPI_PICO's 1408 KiB to 896 KiB.
#undef MICROPY_HW_FLASH_STORAGE_BYTES
#define MICROPY_HW_FLASH_STORAGE_BYTES (896 * 1024)
#define MICROPY_HW_ROMFS_BYTES (512 * 1024)

// C stack (firmware/config/earshot_stack.h): the rp2 port's 8 KiB (SCRATCH_X and _Y), less
// its 256-byte check margin, less 3.5 KiB for the Cortex-M0+ kernels (deepest chain 3,392).
#define EARSHOT_C_STACK_BYTES (8192)
#define EARSHOT_PORT_STACK_MARGIN (256)
#define EARSHOT_KERNEL_STACK_BYTES (3584)
#include "../../firmware/config/earshot_stack.h"
