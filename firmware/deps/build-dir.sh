#!/usr/bin/env bash
# Keep a firmware build folder in step with its configuration: MicroPython's makefiles do
# not rebuild when compiler flags change (a heap size, an -mcpu), so when the board's
# configuration files, the C modules' build files or the build's key differ from the last
# build's, start the folder afresh. (A board's manifest.py is left out: the frozen modules
# are made again at every build anyway.)
# usage: [EARSHOT_BUILD_KEY=...] build-dir.sh BUILD_DIR CONFIG_FILE_OR_DIR...
#   EARSHOT_BUILD_KEY: what else the build depends on (the MicroPython tree, ulab, ...)
. "$(dirname "$0")/common.sh"

dir=${1:?usage: build-dir.sh BUILD_DIR CONFIG...}
shift
stamp="$dir/.earshot-config"
config=$({
    find "$@" -type f ! -name manifest.py ! -name '*.md' -print0 | LC_ALL=C sort -z |
        xargs -0 sha256sum
    printf 'key %s\n' "${EARSHOT_BUILD_KEY:-}"
} | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$config" ]; then
    [ -d "$dir" ] && say "configuration of $(basename "$dir") changed: rebuilding it from scratch"
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "$config" >"$stamp"
fi
