# earshot's user C module `_earshot`: int8 kernels and audio front-end DSP.
# Bindings (MicroPython API) live at the top of this folder; kernels/, dsp/ and audio/ are
# plain C.
EARSHOT_MOD_DIR := $(USERMOD_DIR)

# dsp/frontend.c holds ES_TEXT error texts (es_text.h): scanned like the bindings.
SRC_USERMOD_C += $(wildcard $(EARSHOT_MOD_DIR)/*.c) $(EARSHOT_MOD_DIR)/dsp/frontend.c
SRC_USERMOD_LIB_C += $(wildcard $(EARSHOT_MOD_DIR)/kernels/*.c $(EARSHOT_MOD_DIR)/kernels/optimized/*.c $(EARSHOT_MOD_DIR)/audio/*.c)
SRC_USERMOD_LIB_C += $(filter-out %/dsp/frontend.c,$(wildcard $(EARSHOT_MOD_DIR)/dsp/*.c))
SRC_USERMOD_LIB_C += $(wildcard $(EARSHOT_MOD_DIR)/dsp/optimized/*.c)
SRC_USERMOD_LIB_ASM += $(wildcard $(EARSHOT_MOD_DIR)/dsp/optimized/*.S)
CFLAGS_USERMOD += -I$(EARSHOT_MOD_DIR)
# EARSHOT_KERNELS=reference (from `make KERNELS=reference`) builds the portable reference
# kernels only; the default is the optimized kernels for the target core.
ifeq ($(EARSHOT_KERNELS),reference)
CFLAGS_USERMOD += -DEARSHOT_KERNELS_REFERENCE=1
endif
