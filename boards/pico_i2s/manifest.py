# Raspberry Pi Pico + I2S microphone: the port's modules, earshot, and the models that fit
# the 640 KiB the RPI_PICO layout leaves before its filesystem (boards/README.md).
include("$(PORT_DIR)/boards/manifest.py")
include("../../firmware/manifest.py")
include("../../models/manifest.py", models=("micro_speech", "mlperf_kws", "mlperf_sww"))
