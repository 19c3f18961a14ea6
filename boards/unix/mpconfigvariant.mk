# earshot on MicroPython's Unix port (used as the port's VARIANT_DIR).
include $(EARSHOT_DIR)/firmware/config/earshot.mk

FROZEN_MANIFEST = $(VARIANT_DIR)/manifest.py

# Libraries that Debian's +ds source tree does not ship, and earshot does not need.
MICROPY_PY_BTREE = 0
MICROPY_PY_SSL = 0
MICROPY_PY_FFI = 0
