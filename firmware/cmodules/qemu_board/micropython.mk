# Board support for earshot's QEMU Cortex-M boards: a SysTick time base, the `time`
# module that MicroPython's qemu port lacks, and the model slots (module qemu_board). Only linked into the QEMU firmwares.
QEMU_BOARD_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(QEMU_BOARD_MOD_DIR)/qemu_board.c
SRC_USERMOD_C += $(QEMU_BOARD_MOD_DIR)/modtime.c
SRC_USERMOD_C += $(QEMU_BOARD_MOD_DIR)/modqemu_board.c
SRC_USERMOD_LIB_C += $(QEMU_BOARD_MOD_DIR)/uart_an505.c
CFLAGS_USERMOD += -I$(QEMU_BOARD_MOD_DIR)
