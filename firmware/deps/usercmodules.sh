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

{
    for mod in "$dest"/*/; do
        printf 'include(${CMAKE_CURRENT_LIST_DIR}/%s/micropython.cmake)\n' "$(basename "$mod")"
    done
    # The C stack limit of the board (EARSHOT_STACK_USAGE_BYTES, set in its
    # mpconfigboard.cmake) on every C file of earshot's module, as firmware/config/earshot.mk
    # sets it for the make-based ports: a bigger frame fails the build.
    cat <<'CMAKE'
if(TARGET usermod_earshot)
    if(NOT EARSHOT_STACK_USAGE_BYTES)
        message(FATAL_ERROR "earshot: the board sets no EARSHOT_STACK_USAGE_BYTES (its C stack limit)")
    endif()
    get_target_property(EARSHOT_STACK_SOURCES usermod_earshot INTERFACE_SOURCES)
    list(FILTER EARSHOT_STACK_SOURCES INCLUDE REGEX "\\.c$")
    set_source_files_properties(${EARSHOT_STACK_SOURCES} PROPERTIES
        COMPILE_OPTIONS "-Werror=stack-usage=${EARSHOT_STACK_USAGE_BYTES};-fstack-usage")
endif()
CMAKE
} >"$dest/micropython.cmake"
