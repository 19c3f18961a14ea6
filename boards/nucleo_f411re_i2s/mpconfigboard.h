// NUCLEO-F411RE with an I2S microphone on I2S2: the NUCLEO_F411RE configuration, SPI2
// given up to I2S2 (SCK PB10, WS PB12, SD PB15; see pins.csv).
#include "boards/NUCLEO_F411RE/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "NUCLEO-F411RE + I2S microphone (earshot)"

#undef MICROPY_HW_SPI2_NSS
#undef MICROPY_HW_SPI2_SCK
#undef MICROPY_HW_SPI2_MISO
#undef MICROPY_HW_SPI2_MOSI
#define MICROPY_HW_I2S2 (1)
