# ST NUCLEO-F411RE (Cortex-M4F, 100 MHz) with an I2S MEMS microphone on I2S2.
# Derived from the port's NUCLEO_F411RE board; earshot adds its package and module.
include boards/NUCLEO_F411RE/mpconfigboard.mk
# The port's layout with the filesystem's sectors 1-4 given to the model store's two ROMFS
# partitions (mpconfigboard.h; docs/MODEL_STORE.md).
LD_FILES = $(BOARD_DIR)/stm32f411_model_slots.ld boards/common_ifs.ld
# C stack limit per function of earshot's module (firmware/config/earshot.mk); the port
# gives MicroPython a 16 KiB stack.
EARSHOT_STACK_USAGE_BYTES = 7168
include $(EARSHOT_DIR)/firmware/config/earshot.mk

FROZEN_MANIFEST = $(BOARD_DIR)/manifest.py
MICROPY_PY_BTREE = 0
# No FAT filesystem anywhere on this board (its flash sectors hold the model slots): the
# FAT driver is left out (flash for earshot instead).
MICROPY_VFS_FAT = 0
