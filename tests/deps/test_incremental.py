"""A second build reuses the first: nothing downloaded, nothing recompiled."""

from __future__ import annotations

import subprocess


def test_second_build_downloads_and_compiles_nothing(root):
    # `make test` has just built every firmware; building again must be a no-op.
    proc = subprocess.run(
        ["make", "--no-print-directory", "firmware"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    compiled = [line for line in output.splitlines() if line.startswith(("CC ", "LINK "))]
    assert compiled == []
    assert "from upstream git" not in output and "from Debian" not in output
    assert "installing" not in output
