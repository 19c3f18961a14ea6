#!/usr/bin/env bash
# Put micropython-lib's umqtt.simple at $1/umqtt/simple.py (idempotent), from the pinned
# PyPI sdist micropython-umqtt.simple (MIT licence, by the MicroPython developers),
# checked by its SHA-256. Board manifests freeze it from there; it is never committed.
. "$(dirname "$0")/common.sh"

dest=${1:?usage: umqtt.sh DEST_DIR}
[ -f "$dest/umqtt/simple.py" ] && exit 0
tmp="$dest.partial"
rm -rf "$tmp" && mkdir -p "$tmp"
python3 - "$UMQTT_URL" "$UMQTT_SHA256" "$tmp" <<'PY' || die "cannot get umqtt.simple $UMQTT_VERSION from PyPI ($UMQTT_URL): the Unix port's --mqtt needs it"
import hashlib, io, sys, tarfile, urllib.request
url, sha, dest = sys.argv[1:]
data = urllib.request.urlopen(url, timeout=60).read()
got = hashlib.sha256(data).hexdigest()
if got != sha:
    sys.exit(f"SHA-256 {got}, expected {sha}")
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    for member in tar.getmembers():
        if member.name.endswith("/umqtt/simple.py") or member.name.endswith("PKG-INFO"):
            member.name = "umqtt/simple.py" if member.name.endswith(".py") else "PKG-INFO"
            tar.extract(member, dest)
PY
[ -f "$tmp/umqtt/simple.py" ] || die "the umqtt.simple sdist has no umqtt/simple.py"
rm -rf "$dest" && mv "$tmp" "$dest"
say "umqtt.simple $UMQTT_VERSION from PyPI (sha256 ok, MIT licence)"
