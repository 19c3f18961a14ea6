// Raspberry Pi Pico with an I2S microphone: the RPI_PICO configuration plus earshot's.
#include "boards/RPI_PICO/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico + I2S microphone (earshot)"
