# OPS: what `make natmod OPS=...` leaves out of the native module. OPS names models of
# models/ and/or parts (conv pool add tflm_micro mfcc logmel), comma-separated: the parts
# none of them needs are left out (`python -m earshot_host.natmod absent OPS` says which).
# all (the default) keeps everything. Each part left out is its sources, and stubs of its
# entry points (absent.c) that raise NotImplementedError naming it, on first use.
OPS_OUT :=
ifneq ($(OPS),all)
OPS_OUT := $(shell $(PYTHON) -m earshot_host.natmod absent $(OPS))
ifeq ($(.SHELLSTATUS),0)
else
$(error OPS=$(OPS): see the message above)
endif
endif

OPS_FILES_conv := kernels/conv.c
OPS_FILES_pool := kernels/pooling.c
OPS_FILES_add := kernels/add.c
OPS_FILES_tflm_micro := dsp/window.c dsp/filterbank.c dsp/noise_reduction.c dsp/pcan.c dsp/log_scale.c
OPS_FILES_mfcc := dsp/mfcc.c
OPS_FILES_logmel := dsp/logmel.c
OPS_FILES_spectral := dsp/spectral.c

OPS_OUT_C := $(addprefix $(ES_DIR)/,$(foreach p,$(OPS_OUT),$(OPS_FILES_$(p))))
OPS_CFLAGS := $(foreach p,$(OPS_OUT),-DES_ABSENT_$(p)=1)
