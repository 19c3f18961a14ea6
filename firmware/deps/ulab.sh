#!/usr/bin/env bash
# Try once to put the pinned ulab tag at $1. ulab is optional: when it cannot be had the
# build goes on without it (the Makefile says so). A failed attempt is remembered in
# $1.unavailable so later builds do not wait on the network again; delete that file
# (or run `make deps-retry`) to try again.
. "$(dirname "$0")/common.sh"

dest=${1:?usage: ulab.sh DEST_DIR}
[ -f "$dest/code/micropython.mk" ] && exit 0
[ -f "$dest.unavailable" ] && exit 0
mkdir -p "$(dirname "$dest")"
if git_clone_pinned "$ULAB_GIT_URL" "$dest" "$ULAB_VERSION" "$ULAB_GIT_COMMIT"; then
    say "ulab $ULAB_VERSION fetched"
else
    date >"$dest.unavailable"
    say "ulab $ULAB_VERSION could not be fetched (no network?); building without it — pass ULAB_DIR=/path/to/micropython-ulab to include it"
fi
