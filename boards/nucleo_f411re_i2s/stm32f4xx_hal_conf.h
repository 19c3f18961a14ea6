// HAL configuration: the same oscillators as the NUCLEO_F411RE board.
#include "boards/NUCLEO_F411RE/stm32f4xx_hal_conf.h"
