"""`make board` (earshot_host.board_build) without the network and without the real
ports: where picotool comes from, the size check against firmware_max_bytes naming both
numbers, the linker's overflow message, and a clear error when a piece is missing. The
port's build is stood in for by a small script that writes the image the real one would."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from earshot_host.board_build import (
    BoardBuild,
    ImageSize,
    overflow_from_log,
    picotool_package_dir,
)
from earshot_host.boards import load_boards
from earshot_host.errors import EarshotError

UNREACHABLE = "http://127.0.0.1:9"

# Stands in for the port's make: writes BUILD/firmware.bin (rp2) or firmware1.bin (stm32)
# of SIZE bytes, or fails the way the linker does when a region overflows.
FAKE_MAKE = """
import os, sys
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
build = args["BUILD"]
size = int(os.environ["FAKE_SIZE"])
if os.environ.get("FAKE_OVERFLOW"):
    print("arm-none-eabi/bin/ld: firmware.elf section `.text' will not fit in region `FLASH_TEXT'")
    print("arm-none-eabi/bin/ld: region `FLASH_TEXT' overflowed by 480504 bytes")
    sys.exit(2)
name = "firmware1.bin" if any(a.endswith("ports/stm32") for a in sys.argv) else "firmware.bin"
open(os.path.join(build, name), "wb").write(b"\\x00" * size)
print("USER_C_MODULES", args["USER_C_MODULES"], "CMAKE_ARGS", os.environ.get("CMAKE_ARGS", ""))
"""


@pytest.fixture
def fake_make(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake_make.py"
    script.write_text(FAKE_MAKE)
    return [sys.executable, str(script)]


@pytest.fixture
def micropy(tmp_path: Path) -> Path:
    """A stand-in for a full MicroPython tree: the folders the real boards require."""
    tree = tmp_path / "micropython"
    for board in load_boards().values():
        for rel in board.requires:
            (tree / rel).mkdir(parents=True, exist_ok=True)
            (tree / rel / "README").write_text("stand-in\n")
    return tree


@pytest.fixture
def picotool(tmp_path: Path) -> Path:
    folder = tmp_path / "picotool-install" / "picotool"
    folder.mkdir(parents=True)
    (folder / "picotoolConfig.cmake").write_text("# stand-in\n")
    return folder


def run_build(board_name, micropy, tmp_path, make, env, monkeypatch, size, overflow=False):
    monkeypatch.setenv("FAKE_SIZE", str(size))
    if overflow:
        monkeypatch.setenv("FAKE_OVERFLOW", "1")
    board = replace(load_boards()[board_name], build_packages=())
    build = BoardBuild(board, micropy, tmp_path / "build" / board_name, make, env=env)
    return build.run()


def test_picotool_comes_from_dir_or_root_or_nowhere(tmp_path, picotool):
    assert picotool_package_dir({"picotool_DIR": str(picotool)}) == picotool.resolve()
    assert picotool_package_dir({"picotool_ROOT": str(picotool.parent)}) == picotool.resolve()
    assert picotool_package_dir({}) is None
    assert picotool_package_dir({}, fallback=picotool) == picotool.resolve()
    with pytest.raises(EarshotError, match=r"picotool_DIR=.* holds no picotoolConfig.cmake"):
        picotool_package_dir({"picotool_DIR": str(tmp_path)})
    with pytest.raises(EarshotError, match=r"picotool_ROOT=.* holds no picotool"):
        picotool_package_dir({"picotool_ROOT": str(tmp_path / "nothing")})


def test_an_image_that_fits_is_reported_against_its_region(
    tmp_path, micropy, picotool, fake_make, monkeypatch, capfd
):
    env = {"picotool_DIR": str(picotool)}
    size = run_build("pico_i2s", micropy, tmp_path, fake_make, env, monkeypatch, 558_964)
    assert size == ImageSize(tmp_path / "build/pico_i2s/firmware.bin", 558_964, 655_360)
    assert size.describe("pico_i2s") == (
        "pico_i2s: firmware.bin is 558,964 bytes of firmware_max_bytes 655,360 (96,396 free)"
    )
    out = capfd.readouterr().out
    # The user modules' CMake file, and picotool handed to the pico-sdk (never fetched).
    assert f"USER_C_MODULES {tmp_path}/build/pico_i2s/usercmodules/micropython.cmake" in out
    assert f"-Dpicotool_DIR={picotool.resolve()}" in out
    assert "-DFETCHCONTENT_FULLY_DISCONNECTED=ON" in out


def test_an_image_too_big_fails_naming_both_numbers(
    tmp_path, micropy, picotool, fake_make, monkeypatch
):
    env = {"picotool_DIR": str(picotool)}
    with pytest.raises(EarshotError) as err:
        run_build("pico_i2s", micropy, tmp_path, fake_make, env, monkeypatch, 923_556)
    assert str(err.value) == (
        "pico_i2s: firmware.bin is 923,556 bytes and does not fit firmware_max_bytes "
        "655,360 (268,196 bytes over): freeze fewer models in boards/pico_i2s/manifest.py"
    )


def test_stm32_checks_the_code_region_image_and_reads_the_linker(
    tmp_path, micropy, fake_make, monkeypatch
):
    size = run_build("nucleo_f411re_i2s", micropy, tmp_path, fake_make, {}, monkeypatch, 300_000)
    assert size.path.name == "firmware.bin" and size.size == 300_000
    assert size.limit == 393_216
    with pytest.raises(EarshotError) as err:
        run_build("nucleo_f411re_i2s", micropy, tmp_path, fake_make, {}, monkeypatch, 1, True)
    assert str(err.value) == (
        "nucleo_f411re_i2s: the firmware does not fit: the linker's FLASH_TEXT region "
        "overflowed by 480,504 bytes (firmware_max_bytes 393,216): freeze fewer models in "
        "boards/nucleo_f411re_i2s/manifest.py"
    )
    assert not (tmp_path / "build/nucleo_f411re_i2s/firmware.bin").exists()


def test_overflow_lines_of_the_gnu_linker():
    log = ["ld: region `FLASH_TEXT' overflowed by 480504 bytes", "collect2: error"]
    assert overflow_from_log(log) == ("FLASH_TEXT", 480504)
    assert overflow_from_log(["ld: region 'RAM' overflowed by 12 bytes"]) == ("RAM", 12)
    assert overflow_from_log(["all fine"]) is None


def test_no_picotool_and_no_network_names_the_variables(tmp_path, micropy, fake_make, monkeypatch):
    # Nothing installed, nothing built before, and picotool's repository unreachable.
    monkeypatch.setenv("PICOTOOL_GIT_URL", f"{UNREACHABLE}/picotool.git")
    monkeypatch.delenv("picotool_DIR", raising=False)
    monkeypatch.delenv("picotool_ROOT", raising=False)
    board = replace(load_boards()["pico_i2s"], build_packages=())
    build = BoardBuild(board, micropy, tmp_path / "build", fake_make, env={})
    monkeypatch.setattr(BoardBuild, "root", property(lambda self: _fake_root(tmp_path)))
    with pytest.raises(EarshotError) as err:
        build.run()
    message = str(err.value)
    assert "needs picotool and none is installed" in message
    assert "picotool_DIR" in message and "picotool_ROOT" in message
    assert not (tmp_path / "build" / "firmware.bin").exists()


def _fake_root(tmp_path: Path) -> Path:
    """A project root whose build/deps holds no picotool, with the real scripts."""
    root = tmp_path / "root"
    if not root.exists():
        real = Path(__file__).resolve().parents[2]
        root.mkdir()
        for rel in ("firmware", "boards"):
            (root / rel).symlink_to(real / rel)
    return root


def test_missing_submodules_are_named(tmp_path, fake_make, monkeypatch):
    empty = tmp_path / "plain-tree"
    (empty / "lib" / "pico-sdk").mkdir(parents=True)  # present but empty: not fetched
    with pytest.raises(EarshotError) as err:
        run_build("pico_i2s", empty, tmp_path, fake_make, {}, monkeypatch, 1)
    assert str(err.value).startswith(
        "pico_i2s (rp2 port) needs lib/pico-sdk, lib/tinyusb, lib/mbedtls, lib/micropython-lib"
    )
    assert "MICROPY_DIR=" in str(err.value)


def test_emulated_targets_are_refused(tmp_path, micropy, fake_make, monkeypatch):
    with pytest.raises(EarshotError, match="built with `make unix` / `make qemu`"):
        run_build("qemu_m4", micropy, tmp_path, fake_make, {}, monkeypatch, 1)
