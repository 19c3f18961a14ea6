# earshot on MicroPython's Unix port (used as the port's VARIANT_DIR).
# C stack limit per function of earshot's module (firmware/config/earshot.mk); the
# sanitizers' red zones make frames bigger.
EARSHOT_STACK_USAGE_BYTES = 8192
include $(EARSHOT_DIR)/firmware/config/earshot.mk

FROZEN_MANIFEST = $(VARIANT_DIR)/manifest.py

# Libraries that Debian's +ds source tree does not ship, and earshot does not need.
MICROPY_PY_BTREE = 0
MICROPY_PY_SSL = 0
MICROPY_PY_FFI = 0

# `make unix SANITIZE=1` (build/unix-sanitize/): AddressSanitizer and
# UndefinedBehaviorSanitizer, as upstream MicroPython's CI builds them (tools/ci.sh).
# Use-after-return detection is off: it moves locals off the C stack, where the GC scans
# for roots. Runtime defaults (no leak report, stop at the first UB) are compiled in by
# firmware/cmodules/earshot/sanitize_options.c.
ifeq ($(EARSHOT_SANITIZE),1)
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize=nonnull-attribute \
	--param asan-use-after-return=0 -fno-omit-frame-pointer
CFLAGS_EXTRA += $(SANITIZE_FLAGS) -DEARSHOT_SANITIZE=1
LDFLAGS_EXTRA += $(SANITIZE_FLAGS)
endif
