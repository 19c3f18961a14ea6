#!/usr/bin/env bash
# Build the pinned picotool into the install prefix $1 (its CMake package in $1/picotool),
# from a clone of its tag (network needed), against the pico-sdk at $2. Used by
# `make board` for rp2 boards only when neither picotool_DIR nor picotool_ROOT names an
# installed picotool; the pico-sdk is never left to clone it.
. "$(dirname "$0")/common.sh"

prefix=${1:?usage: picotool.sh INSTALL_PREFIX PICO_SDK_PATH}
sdk=${2:?usage: picotool.sh INSTALL_PREFIX PICO_SDK_PATH}
[ -f "$prefix/picotool/picotoolConfig.cmake" ] && exit 0
src="$prefix-src"
rm -rf "$src" "$prefix-build"
if ! git_clone_pinned "$PICOTOOL_GIT_URL" "$src" "$PICOTOOL_VERSION" "$PICOTOOL_GIT_COMMIT"; then
    die "cannot fetch picotool $PICOTOOL_VERSION ($PICOTOOL_GIT_URL); build it yourself (-DPICOTOOL_NO_LIBUSB=1) and set picotool_DIR (the folder of picotoolConfig.cmake) or picotool_ROOT (its install prefix)"
fi
say "building picotool $PICOTOOL_VERSION (no USB support: earshot only needs its image tools)"
{
    cmake -S "$src" -B "$prefix-build" -DPICO_SDK_PATH="$sdk" -DPICOTOOL_NO_LIBUSB=1 \
        -DPICOTOOL_FLAT_INSTALL=1 -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release &&
        cmake --build "$prefix-build" && cmake --install "$prefix-build"
} >"$prefix-build.log" 2>&1 || die "picotool $PICOTOOL_VERSION did not build (see $prefix-build.log)"
rm -rf "$src" "$prefix-build"
