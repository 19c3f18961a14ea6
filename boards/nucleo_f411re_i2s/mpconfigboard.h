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

// C stack (firmware/config/earshot_stack.h): the port's 16 KiB (stm32f411.ld), less the
// 1 KiB main.c keeps below its limit, less 7.5 KiB for the DSP kernels (deepest chain 7,240).
#define EARSHOT_C_STACK_BYTES (16384)
#define EARSHOT_PORT_STACK_MARGIN (1024)
#define EARSHOT_KERNEL_STACK_BYTES (7680)
#include "../../firmware/config/earshot_stack.h"

// Stop a running I2S microphone at soft reset, before the heap its DMA writes into is
// freed: v1.25's stm32 port leaves it running (the rp2 port stops it itself), and the
// next soft reset then hangs. Its deinit() is called through the object's own method.
#define MICROPY_BOARD_START_SOFT_RESET(state) \
    do { \
        for (size_t i_ = 0; i_ < MICROPY_HW_MAX_I2S; ++i_) { \
            mp_obj_t i2s_ = MP_OBJ_FROM_PTR(MP_STATE_PORT(machine_i2s_obj)[i_]); \
            mp_obj_t deinit_[2]; \
            if (i2s_ != MP_OBJ_NULL) { \
                mp_load_method_maybe(i2s_, MP_QSTR_deinit, deinit_); \
                if (deinit_[0] != MP_OBJ_NULL) { \
                    mp_call_method_n_kw(0, 0, deinit_); \
                } \
            } \
        } \
        boardctrl_start_soft_reset(state); \
    } while (0)
