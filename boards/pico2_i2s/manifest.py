# Raspberry Pi Pico 2 + I2S microphone: the port's modules, earshot, and the audio models
# that fit the 1 MiB RPI_PICO2 leaves before its 3 MiB filesystem (boards/README.md);
# mlperf_ad01 (274 KB) and the image model mlperf_resnet8 reach it as files or model slots.
include("$(PORT_DIR)/boards/manifest.py")
include("../../firmware/manifest.py")
include(
    "../../models/manifest.py",
    models=("micro_speech", "mlperf_kws", "mlperf_sww", "okay_nabu", "hey_jarvis", "vad"),
)
