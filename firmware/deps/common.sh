# Shared helpers for the dependency scripts (sourced, not run).
# shellcheck shell=bash
set -euo pipefail

DEPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The pins, unless the environment already sets a key (how tests point at other sources).
while IFS='=' read -r key value; do
    [[ $key =~ ^[A-Z0-9_]+$ ]] || continue
    [ -n "${!key:-}" ] || export "$key=$value"
done <"$DEPS_DIR/versions.env"

# One clear line on stderr, then stop.
die() {
    printf 'earshot deps: error: %s\n' "$*" >&2
    exit 1
}

say() {
    printf 'earshot deps: %s\n' "$*" >&2
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (no sudo found); run it yourself and retry"
    fi
}

# Clone a pinned commit of a git repository into $2, quietly and with a short timeout,
# so a machine without network access falls back fast. Returns non-zero on any failure.
git_clone_pinned() {
    local url=$1 dest=$2 tag=$3 commit=$4 tmp
    tmp="$dest.partial"
    rm -rf "$tmp"
    if ! GIT_TERMINAL_PROMPT=0 timeout 60 git -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=10 \
        clone --quiet --depth 1 --branch "$tag" "$url" "$tmp" >/dev/null 2>&1; then
        rm -rf "$tmp"
        return 1
    fi
    if [ "$(git -C "$tmp" rev-parse HEAD)" != "$commit" ]; then
        say "$url tag $tag is not commit $commit; not using it"
        rm -rf "$tmp"
        return 1
    fi
    mv "$tmp" "$dest"
}
