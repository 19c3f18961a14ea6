# OPS: which kernels and front ends go into the native module (`make natmod OPS=...`).
# all (the default) keeps everything.
OPS_OUT_C :=
OPS_CFLAGS :=
