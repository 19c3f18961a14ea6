# The armv6m (Cortex-M0/M0+) native modules run on the stock mps2-an385 firmware of
# stock_m3: a Cortex-M3 executes Thumb-1 code, and the qemu port's own Cortex-M0 board
# (MICROBIT) cannot load native code. One firmware, two rows of boards.toml.
include $(EARSHOT_DIR)/boards/stock_m3/stock.mk
