# Stock MicroPython on QEMU's mps2-an385 (Cortex-M3): the qemu port's own MPS2_AN385 board
# as it ships, without its test-only frozen modules (`make stock BOARD=stock_m3`). Its
# native-code architecture is armv7em (sys.implementation._mpy), which loads armv7m and
# armv6m native modules.
STOCK_PORT = qemu
STOCK_BUILD = stock_m3
STOCK_ARGS = BOARD=MPS2_AN385 FROZEN_MANIFEST=
