#!/usr/bin/env bash
# Lay out the USER_C_MODULES folder of one firmware build: one link per module, and a
# micropython.cmake that includes them all (for the CMake-based ports).
# usage: usercmodules.sh DEST MODULE_DIR... ; a ulab checkout is linked in when ULAB is set.
. "$(dirname "$0")/common.sh"

dest=${1:?usage: usercmodules.sh DEST MODULE_DIR...}
shift
rm -rf "$dest"
mkdir -p "$dest"
for mod in "$@"; do
    ln -s "$(cd "$mod" && pwd)" "$dest/$(basename "$mod")"
done
if [ -n "${ULAB:-}" ]; then
    [ -f "$ULAB/code/micropython.mk" ] || die "ULAB_DIR=$ULAB is not a micropython-ulab checkout (no code/micropython.mk)"
    ln -s "$(cd "$ULAB/code" && pwd)" "$dest/ulab"
    say "ulab: included from $ULAB"
else
    say "ulab: not included (ULAB=1 with ULAB_DIR= or the pinned tree includes it: docs/ULAB.md)"
fi

for mod in "$dest"/*/; do
    printf 'include(${CMAKE_CURRENT_LIST_DIR}/%s/micropython.cmake)\n' "$(basename "$mod")"
done >"$dest/micropython.cmake"
