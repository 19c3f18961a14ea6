#!/usr/bin/env bash
# Put the pinned MicroPython source tree at $1 (idempotent), and check its content.
#   micropython.sh DEST                 the tree the Unix and QEMU builds need
#   micropython.sh DEST SUBMODULE...    a full upstream tree with these lib/ submodules
#                                       (real boards; upstream git only)
# First choice: the upstream git tag (commit checked). Fallback: Debian's source package
# through a project-local apt configuration (SHA-256 of the tarball checked). Either way
# the tree's content must match MICROPYTHON_TREE_SHA256 (versions.env), on every run: a
# tree with changed or missing files is fetched again. The new tree is fetched beside the
# old one and swapped in only when complete and checked; a failed fetch leaves the old
# tree where it was. /etc/apt is never touched.
. "$(dirname "$0")/common.sh"

dest=${1:?usage: micropython.sh DEST_DIR [SUBMODULE...]}
shift
submodules=("$@")
stamp="$dest/.earshot-source"
want="micropython $MICROPYTHON_VERSION"

# Submodules of a full tree: each checked out at the commit the tag pins.
submodules_ok() {
    local dir=$1 status
    [ ${#submodules[@]} -eq 0 ] && return 0
    status=$(git -C "$dir" submodule status -- "${submodules[@]}" 2>/dev/null) || return 1
    [ -n "$status" ] && ! grep -q '^[-+U]' <<<"$status"
}

fetch_submodules() {
    GIT_TERMINAL_PROMPT=0 timeout 1800 git -C "$1" submodule update --quiet --init --depth 1 \
        -- "${submodules[@]}" >/dev/null 2>&1 && submodules_ok "$1"
}

tree_ok() {
    local dir=$1
    [ -f "$dir/.earshot-source" ] && [ "$(head -n 1 "$dir/.earshot-source")" = "$want" ] &&
        [ "$(tree_digest "$dir")" = "$MICROPYTHON_TREE_SHA256" ]
}

if [ -d "$dest" ]; then
    if tree_ok "$dest"; then
        submodules_ok "$dest" && exit 0
        # A good upstream tree that lacks submodules another board needs: add them in place.
        if [ -d "$dest/.git" ]; then
            fetch_submodules "$dest" && exit 0
            die "cannot fetch the submodules ${submodules[*]} of MicroPython $MICROPYTHON_VERSION into $dest (no network?); pass MICROPY_DIR=/path/to/a/full/micropython/tree"
        fi
    fi
    if [ -f "$stamp" ]; then
        say "MicroPython tree $dest does not match the pin (changed, missing or other files); fetching it again"
    fi
fi
mkdir -p "$(dirname "$dest")"
new="$dest.new"
rm -rf "$new"
keep_note=""
[ -d "$dest" ] && keep_note=" (the tree at $dest is left as it was)"

# Check the fetched tree, stamp it and swap it in.
install_tree() {
    local source=$1 got
    got=$(tree_digest "$new")
    if [ "$got" != "$MICROPYTHON_TREE_SHA256" ]; then
        rm -rf "$new"
        die "MicroPython $MICROPYTHON_VERSION from $source has content digest $got, expected $MICROPYTHON_TREE_SHA256 (MICROPYTHON_TREE_SHA256); refusing to build from it$keep_note"
    fi
    printf '%s\n%s\ncontent sha256 %s\n' "$want" "$source" "$got" >"$new/.earshot-source"
    swap_in "$new" "$dest"
    say "MicroPython $MICROPYTHON_VERSION from $source (content checked)"
}

if git_clone_pinned "$MICROPYTHON_GIT_URL" "$new" "v$MICROPYTHON_VERSION" "$MICROPYTHON_GIT_COMMIT"; then
    if [ ${#submodules[@]} -gt 0 ]; then
        fetch_submodules "$new" || {
            rm -rf "$new"
            die "cannot fetch the submodules ${submodules[*]} of MicroPython $MICROPYTHON_VERSION$keep_note; pass MICROPY_DIR=/path/to/a/full/micropython/tree"
        }
    fi
    install_tree "upstream git $MICROPYTHON_GIT_COMMIT"
    exit 0
fi
[ ${#submodules[@]} -eq 0 ] ||
    die "cannot get MicroPython $MICROPYTHON_VERSION with ${submodules[*]}: upstream git is unreachable$keep_note; pass MICROPY_DIR=/path/to/a/full/micropython/tree (the tag with its submodules)"
say "upstream MicroPython not reachable; using Debian's source package $MICROPYTHON_DEBIAN_VERSION"

command -v apt-get >/dev/null 2>&1 ||
    die "cannot get MicroPython $MICROPYTHON_VERSION: upstream git is unreachable and apt-get is missing$keep_note; pass MICROPY_DIR=/path/to/micropython"

apt_dir="$(dirname "$dest")/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/download"
printf 'deb-src %s %s main\n' "$DEBIAN_MIRROR" "$MICROPYTHON_DEBIAN_SUITE" >"$apt_dir/sources.list"
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root"
)
orig="$apt_dir/download/$MICROPYTHON_DEBIAN_ORIG"
unreachable="cannot get MicroPython $MICROPYTHON_VERSION: upstream git is unreachable and Debian's source package micropython=$MICROPYTHON_DEBIAN_VERSION ($DEBIAN_MIRROR $MICROPYTHON_DEBIAN_SUITE) could not be downloaded (see $apt_dir/apt.log)$keep_note; pass MICROPY_DIR=/path/to/micropython"
# A tarball downloaded before and still matching its checksum is used again.
if ! { [ -f "$orig" ] && [ "$(sha256sum "$orig" | cut -d' ' -f1)" = "$MICROPYTHON_DEBIAN_ORIG_SHA256" ]; }; then
    rm -f "$orig"
    {
        apt-get "${apt_opts[@]}" -q update &&
            (cd "$apt_dir/download" && apt-get "${apt_opts[@]}" -q source --download-only "micropython=$MICROPYTHON_DEBIAN_VERSION")
    } >"$apt_dir/apt.log" 2>&1 || die "$unreachable"
fi

[ -f "$orig" ] || die "$unreachable"
got=$(sha256sum "$orig" | cut -d' ' -f1)
[ "$got" = "$MICROPYTHON_DEBIAN_ORIG_SHA256" ] ||
    die "$MICROPYTHON_DEBIAN_ORIG has SHA-256 $got, expected $MICROPYTHON_DEBIAN_ORIG_SHA256; refusing to build from it$keep_note"

mkdir -p "$new"
tar -xf "$orig" -C "$new" --strip-components=1
install_tree "debian $MICROPYTHON_DEBIAN_VERSION sha256 $got"
