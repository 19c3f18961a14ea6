# NUCLEO-F411RE + I2S microphone: earshot (no network, one core: without earshot.mqtt and
# earshot.dualcore) and the models that fit the 384 KiB FLASH_TEXT region beside the model
# slots (boards/README.md): micro_speech only.
include("../../firmware/manifest.py", network=False, dual_core=False)
include("../../models/manifest.py", models=("micro_speech",))
