# Board support for earshot's QEMU Cortex-M boards: a SysTick time base and the `time`
# module that MicroPython's qemu port lacks. Only linked into the QEMU firmwares.
QEMU_BOARD_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(QEMU_BOARD_MOD_DIR)/qemu_board.c
SRC_USERMOD_C += $(QEMU_BOARD_MOD_DIR)/modtime.c
CFLAGS_USERMOD += -I$(QEMU_BOARD_MOD_DIR)
