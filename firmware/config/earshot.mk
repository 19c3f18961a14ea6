# Feature layer shared by every earshot firmware, included from each board's
# mpconfigboard.mk / mpconfigvariant.mk (port defaults < this layer < board).

CFLAGS_EXTRA += -DEARSHOT_FIRMWARE=1

# C stack: no function of earshot's C module may keep a frame larger than the board's
# EARSHOT_STACK_USAGE_BYTES (set by the board before including this file; the kernels
# keep their scratch on the stack). A bigger frame fails the build; each object's frame
# sizes are written beside it (.su files) for the bench and tests.
ifndef EARSHOT_STACK_USAGE_BYTES
$(error the board sets no EARSHOT_STACK_USAGE_BYTES (its C stack limit for earshot's module))
endif
$(BUILD)/earshot/%.o: CFLAGS += -Werror=stack-usage=$(EARSHOT_STACK_USAGE_BYTES) -fstack-usage
