#!/usr/bin/env bash
# Install the Debian packages the firmware build needs, if any is missing (idempotent).
. "$(dirname "$0")/common.sh"

missing=()
for pkg in ${APT_PACKAGES//,/ }; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 ||
    die "missing packages: ${missing[*]} (and no apt-get to install them); install them and retry"
say "installing ${missing[*]}"
as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null 2>&1 || true
as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends "${missing[@]}" >/dev/null ||
    die "could not install ${missing[*]} with apt-get; install them and retry"
