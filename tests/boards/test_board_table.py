"""boards/boards.toml against what it describes, where the two can disagree: the board
folders and their build configuration, the MicroPython port's own flash layout, the
firmware actually built (its core, heap, frozen models, image size and C stack frames),
and the numbers in boards/README.md."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from earshot_host.boards import Board, load_boards
from earshot_host.catalog import load_catalog
from earshot_host.natmod import natmod_arch

CONFIG_SUFFIXES = {".mk", ".h", ".py", ".ld", ".cmake", ".csv", ".json", ".md", ".toml"}
BOARDS = load_boards()
# Boards earshot builds: stock MicroPython rows (a natmod column) run upstream's firmware as
# it ships (tests/stock/ checks them).
OURS = {n: b for n, b in BOARDS.items() if not natmod_arch(b)}
# What each core of the table compiles to (readelf -A of the linked firmware: the merged
# Tag_CPU_arch, where Armv6-M objects meet assembler defaults as v6K, Tag_THUMB_ISA_use,
# and whether it has an FPU: Tag_FP_arch).
CPU_ARCH = {
    "cortex-m0": ({"v6-M", "v6S-M", "v6K"}, "Thumb-1", False),
    "cortex-m0+": ({"v6-M", "v6S-M", "v6K"}, "Thumb-1", False),
    "cortex-m3": ({"v7"}, "Thumb-2", False),
    "cortex-m4f": ({"v7E-M"}, "Thumb-2", True),
    "cortex-m7": ({"v7E-M"}, "Thumb-2", True),
    "cortex-m33": ({"v8-M.mainline"}, "Yes", True),
}


def names(kind: str | tuple[str, ...]) -> list[str]:
    kinds = (kind,) if isinstance(kind, str) else kind
    return [n for n, b in BOARDS.items() if b.kind in kinds]


def make_value(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}\s*[:?]?=\s*(\S+)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def cmake_value(text: str, name: str) -> str | None:
    match = re.search(rf"^set\({name}\s+\"?([^\")]+)\"?\)", text, re.MULTILINE)
    return match.group(1) if match else None


def board_config(root: Path, board: Board) -> str:
    folder = root / "boards" / board.name
    for name in ("mpconfigboard.mk", "mpconfigvariant.mk", "mpconfigboard.cmake"):
        if (folder / name).is_file():
            return (folder / name).read_text()
    raise AssertionError(f"boards/{board.name} has no build configuration")


def manifest_models(root: Path, board: Board, boards_root: Path | None = None) -> list[str]:
    """The models a board's manifest freezes: its manifest run with a stand-in of
    MicroPython's manifest API, recording what it passes to models/manifest.py."""
    chosen: list[dict[str, object]] = []

    def include(path: str, **options: object) -> None:
        if path.endswith("models/manifest.py"):
            chosen.append(options)

    manifest = (boards_root or root) / "boards" / board.name / "manifest.py"

    def other(*args: object, **kwargs: object) -> None:
        """package(), module(), freeze(): not models."""

    api = {"include": include, "package": other, "module": other, "freeze": other}
    exec(compile(manifest.read_text(), str(manifest), "exec"), api)
    assert len(chosen) == 1, f"{manifest} must include models/manifest.py once"
    catalog = load_catalog(root)
    every = sorted(catalog)
    options = chosen[0]
    if options.get("models") is not None:
        models = list(ast.literal_eval(repr(options["models"])))
    elif options.get("large_models", True):
        models = every
    else:  # the small set: models not marked freeze = "large"
        models = [name for name in every if catalog[name].freeze != "large"]
    assert set(models) <= set(every), f"{manifest} names models that do not exist"
    return models


def test_every_board_folder_is_in_the_table(root):
    folders = {p.name for p in (root / "boards").iterdir() if p.is_dir()}
    assert folders == set(load_boards(root))


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_folder_holds_configuration_only(root, name):
    for path in (root / "boards" / name).rglob("*"):
        if path.is_file():
            assert path.suffix in CONFIG_SUFFIXES, f"{path} is not configuration"
            if path.suffix == ".py":
                assert path.name == "manifest.py", f"{path}: only manifest.py may be Python"


@pytest.mark.parametrize("name", [n for n in names("qemu") if not natmod_arch(BOARDS[n])])
def test_qemu_board_build_matches_table(root, name):
    # (Stock MicroPython rows, a natmod column, are checked in tests/stock/.)
    board = BOARDS[name]
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


@pytest.mark.parametrize("name", sorted(OURS))
def test_every_board_limits_the_c_stack(root, name):
    config = board_config(root, BOARDS[name])
    limit = make_value(config, "EARSHOT_STACK_USAGE_BYTES") or cmake_value(
        config, "EARSHOT_STACK_USAGE_BYTES"
    )
    assert limit is not None and 1024 <= int(limit) <= 8192


def port_tree(root: Path) -> Path:
    tree = root / "build" / "deps" / "micropython"
    if not (tree / "ports").is_dir():
        pytest.skip("no MicroPython tree in build/deps (run `make deps`)")
    return tree


def base_board(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    assert match, f"no base board ({pattern}) in {text[:200]!r}"
    return match.group(1)


@pytest.mark.parametrize("name", names("rp2"))
def test_rp2_firmware_region_is_the_flash_before_the_filesystem(root, name):
    # The port's board (or ours, overriding it) says how much of the flash its filesystem
    # and a ROMFS partition take; the firmware gets the rest. (RPI_PICO: 1408 KiB of 2 MiB;
    # RPI_PICO2: all but 1 MiB of 4 MiB.)
    board = BOARDS[name]
    header = (root / "boards" / name / "mpconfigboard.h").read_text()
    base = base_board(header, r'#include "boards/(\w+)/mpconfigboard.h"')
    base_header = (port_tree(root) / "ports/rp2/boards" / base / "mpconfigboard.h").read_text()

    def define(name: str, default: str | None = None) -> int:
        pattern = rf"#define {name}\s+(.+)"
        found = re.search(pattern, header) or re.search(pattern, base_header)
        text = found.group(1) if found else default
        assert text is not None, f"no {name}"
        return eval(  # the C expression, with the board's flash size
            text.replace("PICO_FLASH_SIZE_BYTES", str(board.flash_bytes)), {"__builtins__": {}}
        )

    storage = define("MICROPY_HW_FLASH_STORAGE_BYTES")
    romfs = define("MICROPY_HW_ROMFS_BYTES", "0")
    assert board.firmware_max_bytes == board.flash_bytes - storage - romfs


@pytest.mark.parametrize("name", names("stm32"))
def test_stm32_firmware_region_is_the_linker_scripts_flash_text(root, name):
    board = BOARDS[name]
    mk = (root / "boards" / name / "mpconfigboard.mk").read_text()
    own = re.search(r"(?m)^LD_FILES\s*=\s*\$\(BOARD_DIR\)/(\S+)", mk)
    if own:  # the board's own linker script (nucleo_f411re_i2s: its model slots)
        ld = (root / "boards" / name / own.group(1)).read_text()
    else:
        base = base_board(mk, r"include boards/(\w+)/mpconfigboard.mk")
        port = port_tree(root) / "ports/stm32"
        base_mk = (port / "boards" / base / "mpconfigboard.mk").read_text()
        ld_files = base_board(base_mk, r"^LD_FILES\s*=\s*(.+)$".replace("^", "(?m)^", 1))
        ld = (port / ld_files.split()[0]).read_text()
    regions = {
        m.group(1): int(m.group(2)) * 1024
        for m in re.finditer(r"^\s*(\w+)\s*\(rx\)\s*:.*LENGTH\s*=\s*(\d+)K", ld, re.MULTILINE)
    }
    assert board.firmware_max_bytes == regions["FLASH_TEXT"]
    assert board.flash_bytes == regions["FLASH"]


def test_readme_numbers_are_the_tables(root):
    # boards/README.md's table of real boards: flash and firmware region as in the table,
    # the frozen models as the manifest chooses, and an image that fits.
    text = (root / "boards" / "README.md").read_text()
    for name in names(("rp2", "stm32")):
        board = BOARDS[name]
        rows = [
            line.split(" | ")
            for line in text.splitlines()
            if line.startswith(f"| `{name}` | {board.flash_bytes:,} | ")
        ]
        assert len(rows) == 1, f"boards/README.md has no flash row for {name}"
        _, flash, region, models, image, free = rows[0]
        assert region.startswith(f"{board.firmware_max_bytes:,}")
        chosen = manifest_models(root, board)
        listed = len(chosen) if models == "all five" else models.split(", ")
        assert listed == (len(chosen) if models == "all five" else chosen), (name, models)
        size = int(image.replace(",", ""))
        assert size + int(free.strip(" |").replace(",", "")) == board.firmware_max_bytes


# ------------------------------------------------------------- against the built firmware


def built(board: Board, root: Path) -> Path:
    path = board.firmware_path(root, kernels="optimized", sanitize=False)
    if board.kind in ("rp2", "stm32"):
        path = path.parent / "firmware.bin"
    if not path.is_file():
        how = "make firmware" if board.emulated else f"make board BOARD={board.name} ..."
        pytest.skip(f"{board.name} is not built ({path} missing: `{how}`)")
    return path


def readelf_attribute(elf: Path, tag: str) -> str | None:
    out = subprocess.run(
        ["arm-none-eabi-readelf", "-A", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(rf"{tag}: (\S+)", out)
    return match.group(1) if match else None


def symbol_size(elf: Path, symbol: str) -> int | None:
    out = subprocess.run(
        ["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == symbol:
            return int(parts[1], 16)
    return None


@pytest.mark.parametrize("name", names("qemu"))
def test_built_qemu_firmware_has_the_tables_core_and_heap(root, name):
    board = BOARDS[name]
    elf = built(board, root)
    arches, thumb, fpu = CPU_ARCH[board.core]
    assert readelf_attribute(elf, "Tag_CPU_arch") in arches
    assert readelf_attribute(elf, "Tag_CPU_arch_profile") == "Microcontroller"
    assert readelf_attribute(elf, "Tag_THUMB_ISA_use") == thumb
    assert (readelf_attribute(elf, "Tag_FP_arch") is not None) == fpu
    assert symbol_size(elf, "gc_heap") == board.heap_bytes


@pytest.mark.parametrize("name", [n for n in OURS if OURS[n].kind != "unix"])
def test_built_c_module_frames_are_within_the_boards_limit(root, name):
    # The frames the compiler reports (.su files written beside the objects) are all under
    # the board's limit: the flag reached every file of the module, and no frame exceeds it.
    board = BOARDS[name]
    build_dir = built(board, root).parent
    limit_text = board_config(root, board)
    limit = int(
        make_value(limit_text, "EARSHOT_STACK_USAGE_BYTES")
        or cmake_value(limit_text, "EARSHOT_STACK_USAGE_BYTES")
    )
    frames = [
        int(line.split("\t")[1])
        for su in build_dir.rglob("*.su")
        if "/earshot/" in su.as_posix()
        for line in su.read_text().splitlines()
        if line.count("\t") == 2
    ]
    sources = list((root / "firmware/cmodules/earshot").rglob("*.c"))
    assert len(list(build_dir.rglob("earshot/**/*.su"))) >= len(sources) - 1
    assert frames and max(frames) <= limit


def symbol_address(elf: Path, symbol: str) -> int:
    out = subprocess.run(
        ["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == symbol:
            return int(parts[0], 16)
    raise AssertionError(f"{elf} has no symbol {symbol}")


def c_stack_bytes(root: Path, board: Board) -> int:
    folder = root / "boards" / board.name
    if board.kind == "qemu":
        return int(make_value((folder / "mpconfigboard.mk").read_text(), "EARSHOT_C_STACK_BYTES"))
    header = (folder / "mpconfigboard.h").read_text()
    return int(base_board(header, r"#define EARSHOT_C_STACK_BYTES \((\d+)\)"))


@pytest.mark.parametrize("name", [n for n in OURS if OURS[n].kind != "unix"])
def test_the_c_stack_a_board_declares_is_the_one_it_links(root, name):
    # EARSHOT_C_STACK_BYTES (what the stack check's limit is computed from) against the
    # stack the linker gave the built firmware.
    board = BOARDS[name]
    image = built(board, root)
    elf = image.with_suffix(".elf") if image.suffix == ".bin" else image
    declared = c_stack_bytes(root, board)
    if board.kind == "rp2":
        linked = symbol_address(elf, "__StackTop") - symbol_address(elf, "__StackBottom")
        assert declared == linked
    elif board.kind == "stm32":
        assert declared == symbol_address(elf, "_estack") - symbol_address(elf, "_sstack")
    else:  # QEMU: the RAM left above .bss holds at least the declared stack
        assert symbol_address(elf, "_estack") - symbol_address(elf, "_ebss") >= declared


@pytest.mark.parametrize("name", names(("rp2", "stm32")))
def test_built_real_board_image_fits_and_freezes_its_manifests_models(root, name):
    board = BOARDS[name]
    image = built(board, root)
    assert image.stat().st_size <= board.firmware_max_bytes
    frozen = (image.parent / "frozen_content.c").read_text()
    held = sorted(set(re.findall(r"MP_QSTR_earshot_models_slash_(\w+)_dot_py", frozen)))
    held.remove("__init__")
    assert held == sorted(manifest_models(root, board))


def test_every_image_freezes_micro_speech(root):
    for board in OURS.values():
        assert "micro_speech" in manifest_models(root, board), board.name


def test_the_frozen_models_are_the_manifests(target, root):
    # What the running firmware holds, against what its board's manifest chose.
    held = target.eval("earshot_models.NAMES", setup="import earshot_models")
    assert sorted(held) == sorted(manifest_models(root, target.board))


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


def test_manifest_reader_sees_a_missing_model(tmp_path, root):
    # The stand-in reader fails for a manifest naming a model that models/ lacks.
    folder = tmp_path / "boards" / "x"
    folder.mkdir(parents=True)
    (folder / "manifest.py").write_text(
        'include("../../models/manifest.py", models=("micro_speech", "no_such_model"))\n'
    )
    fake = Board(name="x", kind="qemu", port="qemu", core="cortex-m0", description="")
    with pytest.raises(AssertionError, match="names models that do not exist"):
        manifest_models(root, fake, boards_root=tmp_path)
