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
