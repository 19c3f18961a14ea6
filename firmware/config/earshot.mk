# Feature layer shared by every earshot firmware, included from each board's
# mpconfigboard.mk / mpconfigvariant.mk (port defaults < this layer < board).

# Optimise the C module and the interpreter for speed on every target.
CFLAGS_EXTRA += -DEARSHOT_FIRMWARE=1
