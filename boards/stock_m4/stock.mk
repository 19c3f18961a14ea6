# Stock MicroPython on QEMU's mps2-an386 (Cortex-M4F): the pinned qemu port has no board for
# this machine, so this folder's mpconfigboard.mk is one, written like the port's own
# MPS2_AN385 (and upstream's later MPS2_AN500): no earshot code, no frozen modules.
STOCK_PORT = qemu
STOCK_BUILD = stock_m4
STOCK_ARGS = BOARD=stock_m4 BOARD_DIR=$(EARSHOT_DIR)/boards/stock_m4 FROZEN_MANIFEST=
