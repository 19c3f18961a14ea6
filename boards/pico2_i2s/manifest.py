# Raspberry Pi Pico 2 + I2S microphone: the port's modules, earshot, and the models that
# fit the 1 MiB RPI_PICO2 leaves before its 3 MiB filesystem (boards/README.md).
include("$(PORT_DIR)/boards/manifest.py")
include("../../firmware/manifest.py")
include("../../models/manifest.py")
