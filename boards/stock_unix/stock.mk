# Stock MicroPython on the Unix port: the pinned source's standard variant as it ships,
# with nothing of earshot inside (`make stock BOARD=stock_unix`). The three libraries
# switched off are the ones Debian's +ds source tree does not carry.
STOCK_PORT = unix
STOCK_BUILD = stock_unix
STOCK_ARGS = VARIANT=standard PROG=micropython FROZEN_MANIFEST= \
	MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_PY_FFI=0
