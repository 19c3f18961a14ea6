include("../../firmware/manifest.py")
include("../../models/manifest.py")
# micropython-lib's MQTT client (MIT licence) for `--mqtt`, from the pinned PyPI sdist that
# `make deps` puts in build/deps/umqtt/ (firmware/deps/umqtt.sh); never committed.
package("umqtt", base_path="../../build/deps/umqtt", opt=3)
