# NUCLEO-F411RE + I2S microphone: earshot and the models that fit the 384 KiB FLASH_TEXT
# region beside the filesystem (boards/README.md): micro_speech only.
include("../../firmware/manifest.py")
include("../../models/manifest.py", models=("micro_speech",))
