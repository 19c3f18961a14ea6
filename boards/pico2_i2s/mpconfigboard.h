// Raspberry Pi Pico 2 with an I2S microphone: the RPI_PICO2 configuration plus earshot's.
#include "boards/RPI_PICO2/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico 2 + I2S microphone (earshot)"
