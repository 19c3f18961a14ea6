"""boards/boards.toml and the board folders agree, and board folders hold configuration only."""

from __future__ import annotations

import re

import pytest

from earshot_host.boards import load_boards
from earshot_host.natmod import natmod_arch

CONFIG_SUFFIXES = {".mk", ".h", ".py", ".ld", ".cmake", ".csv", ".json", ".md", ".toml"}


def make_value(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}\s*[:?]?=\s*(\S+)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def test_every_board_folder_is_in_the_table(root):
    boards = load_boards(root)
    folders = {p.name for p in (root / "boards").iterdir() if p.is_dir()}
    assert folders == set(boards)


@pytest.mark.parametrize("name", sorted(load_boards()))
def test_board_folder_holds_configuration_only(root, name):
    for path in (root / "boards" / name).rglob("*"):
        if path.is_file():
            assert path.suffix in CONFIG_SUFFIXES, f"{path} is not configuration"
            if path.suffix == ".py":
                assert path.name == "manifest.py", f"{path}: only manifest.py may be Python"


@pytest.mark.parametrize(
    "name",
    [n for n, b in sorted(load_boards().items()) if b.kind == "qemu" and not natmod_arch(b)],
)
def test_qemu_board_build_matches_table(root, name):
    # (Stock MicroPython rows, a natmod column, are checked in tests/stock/.)
    board = load_boards(root)[name]
    mk = (root / "boards" / name / "mpconfigboard.mk").read_text()
    assert make_value(mk, "QEMU_MACHINE") == board.machine
    assert int(make_value(mk, "MICROPY_HEAP_SIZE")) == board.heap_bytes
    assert int(make_value(mk, "EARSHOT_CORE_CLOCK_HZ")) == board.clock_hz
    assert board.heap_bytes < board.ram_bytes
    assert f"-mcpu={board.core.removesuffix('f')}" in mk
    # The model store: two slots of the size the firmware is built with, or none.
    slot_bytes = make_value(mk, "EARSHOT_MODEL_SLOT_BYTES")
    assert int(slot_bytes or 0) == board.model_slot_bytes
    assert board.model_slots == (2 if slot_bytes else 0)


def test_sanitized_and_reference_builds_have_their_own_folders(root, monkeypatch):
    boards = load_boards(root)
    unix, qemu = boards["unix"], boards["qemu_m4"]
    monkeypatch.delenv("EARSHOT_SANITIZE", raising=False)
    monkeypatch.delenv("EARSHOT_KERNELS", raising=False)
    assert unix.firmware_path(root).parent.name == "unix"
    assert unix.firmware_path(root, sanitize=True).parent.name == "unix-sanitize"
    assert unix.firmware_path(root, "reference", True).parent.name == "unix-reference-sanitize"
    # QEMU boards have no sanitized build: the setting leaves them alone.
    assert qemu.firmware_path(root, sanitize=True).parent.name == "qemu_m4"
    monkeypatch.setenv("EARSHOT_SANITIZE", "1")
    assert unix.firmware_path(root).parent.name == "unix-sanitize"
    monkeypatch.setenv("EARSHOT_SANITIZE", "0")
    assert unix.firmware_path(root).parent.name == "unix"
