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

// Model slots (earshot.store, docs/MODEL_STORE.md): the F411 has no flash to spare beside
// its 384 KiB firmware region (sectors 5-7) but the FAT filesystem's sectors 1-4, so they
// become two ROMFS partitions in internal flash (stm32f411_model_slots.ld): slot A = sectors
// 1-3 (48 KiB), slot B = sector 4 (64 KiB), written through vfs.rom_ioctl. The board has no
// filesystem; the filesystem's 16 KiB RAM cache goes to the heap. Only vfs.rom_ioctl is
// needed, not the ROMFS filesystem (VfsRom): the slots hold models, not ROMFS images.
#define MICROPY_HW_ENABLE_INTERNAL_FLASH_STORAGE (0)
#undef MICROPY_HW_HAS_FLASH
#define MICROPY_HW_HAS_FLASH (0) // pyb.Flash: the filesystem's block device, gone with it
#define MICROPY_HW_ROMFS_ENABLE_INTERNAL_FLASH (1)
#define MICROPY_HW_ROMFS_ENABLE_PART0 (1)
#define MICROPY_HW_ROMFS_ENABLE_PART1 (1)
#define MICROPY_VFS_ROM (0)
#define MICROPY_VFS_ROM_IOCTL (1)

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
