"""Build folders follow their configuration (firmware/deps/build-dir.sh): a changed board
file, C module build file or build key (MicroPython tree, ulab) starts the folder afresh;
the Makefile hands the C modules' .mk files to it, and `make run` runs the build that
KERNELS= and SANITIZE= name."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def build_dir(root: Path, folder: Path, *config: Path, key: str = "") -> str:
    proc = subprocess.run(
        ["bash", str(root / "firmware/deps/build-dir.sh"), str(folder), *map(str, config)],
        capture_output=True,
        text=True,
        env={**os.environ, "EARSHOT_BUILD_KEY": key},
        timeout=60,
        check=True,
    )
    return proc.stderr


def test_a_changed_configuration_starts_the_folder_afresh(root, tmp_path):
    board = tmp_path / "boards" / "b"
    board.mkdir(parents=True)
    (board / "mpconfigboard.mk").write_text("CFLAGS += -mcpu=cortex-m4\n")
    (board / "manifest.py").write_text("include('x')\n")
    module_mk = tmp_path / "micropython.mk"
    module_mk.write_text("CFLAGS_USERMOD += -O2\n")
    out = tmp_path / "build"
    config = (board, module_mk)

    def survives(change) -> bool:
        build_dir(root, out, *config, key="tree=a")
        (out / "object.o").write_text("built")
        change()
        said = build_dir(root, out, *config, key=key_now[0])
        kept = (out / "object.o").exists()
        assert ("rebuilding it from scratch" in said) == (not kept)
        return kept

    key_now = ["tree=a"]
    assert survives(lambda: None)
    # A frozen-module manifest changes nothing the compiler sees.
    assert survives(lambda: (board / "manifest.py").write_text("include('y')\n"))
    assert not survives(lambda: (board / "mpconfigboard.mk").write_text("CFLAGS += -O3\n"))
    assert not survives(lambda: module_mk.write_text("CFLAGS_USERMOD += -O3\n"))
    key_now[0] = "tree=b"
    assert not survives(lambda: None)


def make_dry_run(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_the_c_modules_build_files_are_part_of_the_configuration(root):
    out = make_dry_run(root, "unix")
    line = next(line for line in out.splitlines() if "build-dir.sh" in line)
    assert "firmware/cmodules/earshot/micropython.mk" in line
    assert "EARSHOT_BUILD_KEY=" in line and "micropython=" in line


def test_make_run_runs_the_build_that_kernels_and_sanitize_name(root):
    out = make_dry_run(root, "run", "KERNELS=reference", "SANITIZE=1")
    runs = [line for line in out.splitlines() if " -m earshot --model" in line]
    assert len(runs) == 1
    assert "build/unix-reference-sanitize/micropython -m earshot" in runs[0]
    assert "build/demo/stream.wav" in runs[0]
    plain = make_dry_run(root, "run")
    assert "build/unix/micropython -m earshot" in plain


def test_make_test_runs_the_linter_first(root):
    out = make_dry_run(root, "test", "TARGETS=unix", "PYTEST_ARGS=--collect-only")
    lines = out.splitlines()
    lint = next(i for i, line in enumerate(lines) if "ruff check ." in line)
    pytest_line = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert lint < pytest_line
