"""The Makefile's ulab lines (host only, no build): ULAB=1 builds go into folders of their
own and need a ulab tree; the pinned tree is tried once, and not at all (no "tried" marker)
when ULAB_DIR names a tree of the user's (issue 17: the marker was set with ULAB_DIR too,
so a later `make deps` without it never fetched the pinned ulab)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DROPPED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ULAB", "ULAB_DIR", "BOARD"}


def make(*args: str) -> subprocess.CompletedProcess[str]:
    # print-VAR prints a variable of the Makefile; nothing is built. The make that may be
    # running these tests (make test-ulab ULAB_DIR=...) passes its variables on: drop them.
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    return subprocess.run(
        ["make", "--no-print-directory", "--eval", "print-%: ; @echo $($*)", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_ulab_builds_have_folders_of_their_own():
    assert make("print-UNIX_BUILD").stdout.strip() == f"{ROOT}/build/unix"
    ulab = make("print-UNIX_BUILD", "print-QEMU_BUILD", "ULAB=1", "BOARD=qemu_m4")
    assert ulab.stdout.split() == [f"{ROOT}/build/unix-ulab", f"{ROOT}/build/qemu_m4-ulab"]


def test_ulab_build_without_a_tree_is_one_clear_error(tmp_path):
    proc = make("print-build_ulab", "ULAB=1", f"BUILD={tmp_path}")
    assert proc.returncode != 0
    assert "ULAB=1 needs ULAB_DIR=/path/to/micropython-ulab" in proc.stderr
    # A tree given: that one.
    given = make("print-build_ulab", "ULAB=1", f"ULAB_DIR={tmp_path}", f"BUILD={tmp_path}")
    assert given.stdout.strip() == str(tmp_path)
    # Builds without ULAB=1 include none.
    assert make("print-build_ulab", f"ULAB_DIR={tmp_path}").stdout.strip() == ""


def test_the_ulab_tried_marker_is_not_set_when_ulab_dir_is_given(tmp_path):
    # A fresh build folder: `make -n deps` lists what deps would run, runs nothing.
    plain = make("-n", "deps", f"BUILD={tmp_path / 'a'}")
    assert "ulab.sh" in plain.stdout and ".ulab-tried" in plain.stdout
    given = make("-n", "deps", f"BUILD={tmp_path / 'b'}", f"ULAB_DIR={tmp_path}")
    assert "ulab.sh" not in given.stdout and ".ulab-tried" not in given.stdout
