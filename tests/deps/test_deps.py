"""The dependency scripts fail with one clear line, and go on without optional ulab."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

UNREACHABLE = "http://127.0.0.1:9"


def run_script(
    root: Path, script: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(root / "firmware" / "deps" / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_unreachable_micropython_source_is_one_clear_error(root, tmp_path):
    proc = run_script(
        root,
        "micropython.sh",
        str(tmp_path / "micropython"),
        env={
            "MICROPYTHON_GIT_URL": f"{UNREACHABLE}/micropython.git",
            "DEBIAN_MIRROR": f"{UNREACHABLE}/debian",
        },
    )
    assert proc.returncode == 1
    lines = error_lines(proc.stderr)
    assert lines[-1].startswith("earshot deps: error: cannot get MicroPython")
    assert "MICROPY_DIR=" in lines[-1]
    assert sum("error" in line for line in lines) == 1
    assert not (tmp_path / "micropython").exists()


def test_wrong_checksum_is_refused(root, tmp_path):
    proc = run_script(
        root,
        "micropython.sh",
        str(tmp_path / "micropython"),
        env={
            "MICROPYTHON_GIT_URL": f"{UNREACHABLE}/micropython.git",
            "MICROPYTHON_DEBIAN_ORIG_SHA256": "0" * 64,
        },
    )
    assert proc.returncode == 1
    assert "refusing to build from it" in error_lines(proc.stderr)[-1]
    assert not (tmp_path / "micropython").exists()


def test_missing_toolchain_without_apt_is_one_clear_error(root, tmp_path):
    # A machine where the packages are missing and apt-get cannot install them.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dpkg-query", "grep", "id", "dirname", "cat"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    proc = run_script(
        root,
        "apt-packages.sh",
        env={"PATH": str(bin_dir), "APT_PACKAGES": "gcc-arm-none-eabi,earshot-no-such-package"},
    )
    assert proc.returncode == 1
    assert error_lines(proc.stderr) == [
        "earshot deps: error: missing packages: earshot-no-such-package "
        "(and no apt-get to install them); install them and retry"
    ]


def test_unreachable_ulab_is_skipped_with_one_line(root, tmp_path):
    dest = tmp_path / "ulab"
    proc = run_script(root, "ulab.sh", str(dest), env={"ULAB_GIT_URL": f"{UNREACHABLE}/ulab.git"})
    assert proc.returncode == 0
    assert len(error_lines(proc.stderr)) == 1
    assert "building without it" in proc.stderr
    assert (tmp_path / "ulab.unavailable").exists()
    # Remembered: the second call does not try the network again and says nothing.
    again = run_script(root, "ulab.sh", str(dest), env={"ULAB_GIT_URL": f"{UNREACHABLE}/ulab.git"})
    assert again.returncode == 0 and again.stderr == ""


def test_unknown_qemu_board_is_one_clear_error(root):
    proc = subprocess.run(
        ["make", "--no-print-directory", "-s", "qemu", "BOARD=qemu_m99"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode != 0
    assert "earshot: error: no QEMU board 'qemu_m99'" in proc.stderr
