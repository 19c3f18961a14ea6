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

# The content digest of a MicroPython tree: SHA-256 of `sha256sum` over every file of the
# folders in MICROPYTHON_TREE_SCOPE (sorted paths; __pycache__ left out, Python writes it
# when tools/ runs). A missing folder counts as empty, so the digest still differs.
tree_digest() {
    local dir=$1 scope=()
    local IFS=,
    for rel in $MICROPYTHON_TREE_SCOPE; do
        [ -d "$dir/$rel" ] && scope+=("$rel")
    done
    unset IFS
    [ ${#scope[@]} -gt 0 ] || { echo none; return 0; }
    (cd "$dir" && find "${scope[@]}" -name __pycache__ -prune -o -type f -print0 |
        LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1)
}

# Replace the folder $2 by the complete folder $1 (same parent): the old one is removed
# only once the new one is in place, so a good tree is never lost to a failed fetch.
swap_in() {
    local new=$1 dest=$2
    if [ -e "$dest" ]; then
        rm -rf "$dest.old"
        mv "$dest" "$dest.old"
    fi
    mv "$new" "$dest"
    rm -rf "$dest.old"
}
