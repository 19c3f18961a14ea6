#!/usr/bin/env bash
# Put a pinned MicroPython source tree at $1 (idempotent).
# First choice: the upstream git tag (commit checked). Fallback: Debian's source package
# through a project-local apt configuration (SHA-256 checked). /etc/apt is never touched.
. "$(dirname "$0")/common.sh"

dest=${1:?usage: micropython.sh DEST_DIR}
stamp="$dest/.earshot-source"
want="micropython $MICROPYTHON_VERSION"

if [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$want" ]; then
    exit 0
fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"

if git_clone_pinned "$MICROPYTHON_GIT_URL" "$dest" "v$MICROPYTHON_VERSION" "$MICROPYTHON_GIT_COMMIT"; then
    printf '%s\nupstream git %s\n' "$want" "$MICROPYTHON_GIT_COMMIT" >"$stamp"
    say "MicroPython $MICROPYTHON_VERSION from upstream git ($MICROPYTHON_GIT_COMMIT)"
    exit 0
fi
say "upstream MicroPython not reachable; using Debian's source package $MICROPYTHON_DEBIAN_VERSION"

command -v apt-get >/dev/null 2>&1 ||
    die "cannot get MicroPython $MICROPYTHON_VERSION: upstream git is unreachable and apt-get is missing; pass MICROPY_DIR=/path/to/micropython"

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
unreachable="cannot get MicroPython $MICROPYTHON_VERSION: upstream git is unreachable and Debian's source package micropython=$MICROPYTHON_DEBIAN_VERSION ($DEBIAN_MIRROR $MICROPYTHON_DEBIAN_SUITE) could not be downloaded (see $apt_dir/apt.log); pass MICROPY_DIR=/path/to/micropython"
{
    apt-get "${apt_opts[@]}" -q update &&
        (cd "$apt_dir/download" && apt-get "${apt_opts[@]}" -q source --download-only "micropython=$MICROPYTHON_DEBIAN_VERSION")
} >"$apt_dir/apt.log" 2>&1 || die "$unreachable"

orig="$apt_dir/download/$MICROPYTHON_DEBIAN_ORIG"
[ -f "$orig" ] || die "$unreachable"
got=$(sha256sum "$orig" | cut -d' ' -f1)
[ "$got" = "$MICROPYTHON_DEBIAN_ORIG_SHA256" ] ||
    die "$MICROPYTHON_DEBIAN_ORIG has SHA-256 $got, expected $MICROPYTHON_DEBIAN_ORIG_SHA256; refusing to build from it"

tmp="$dest.partial"
rm -rf "$tmp" && mkdir -p "$tmp"
tar -xf "$orig" -C "$tmp" --strip-components=1
mv "$tmp" "$dest"
printf '%s\ndebian %s sha256 %s\n' "$want" "$MICROPYTHON_DEBIAN_VERSION" "$got" >"$stamp"
say "MicroPython $MICROPYTHON_VERSION from Debian $MICROPYTHON_DEBIAN_VERSION (sha256 ok)"
