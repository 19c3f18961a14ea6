"""The model store on the STM32F411's internal flash (nucleo_f411re_i2s): earshot.store run
on the Unix port over a simulation of the F411's flash and of MicroPython 1.25's stm32
vfs.rom_ioctl, with the two ROMFS partitions of the board's linker script.

There is no STM32 emulator here. The simulation keeps the rules the store depends on: the
F411's uneven sectors (4 x 16 KiB, 64 KiB, 3 x 128 KiB; RM0383 section 3.3), erase by
whole sectors from a partition's start (ports/stm32/vfs_rom_ioctl.c with flash.c), program
in 32-bit words, no write-complete command (-EINVAL), and power lost during any erase of a
sector or any write (the sector left half erased, the write half done)."""

from __future__ import annotations

import math
import re
import subprocess
import zlib
from pathlib import Path

import pytest

from earshot_host.boards import load_boards
from earshot_host.paths import project_root

ROOT = project_root()
BOARD = load_boards(ROOT)["nucleo_f411re_i2s"]
FOLDER = ROOT / "boards" / BOARD.name
FLASH_BASE = 0x0800_0000
# STM32F411xE sectors (RM0383 3.3; the STM32F4 flash_layout of the port's flash.c).
SECTORS = [
    (FLASH_BASE + sum(s * 1024 for s in sizes[:i]), size * 1024)
    for sizes in ([16, 16, 16, 16, 64, 128, 128, 128],)
    for i, size in enumerate(sizes)
]
SIZES = {
    name: len((ROOT / "models" / name / f"{name}.esm").read_bytes())
    for name in ("micro_speech", "vad", "hey_jarvis", "mlperf_kws", "okay_nabu", "mlperf_sww")
}


def linker_regions() -> dict[str, tuple[int, int]]:
    """MEMORY regions of the board's linker script: name -> (origin, length)."""
    mk = (FOLDER / "mpconfigboard.mk").read_text()
    script = re.search(r"(?m)^LD_FILES\s*=\s*\$\(BOARD_DIR\)/(\S+)", mk)
    assert script, "the board's mpconfigboard.mk does not name its own linker script"
    text = (FOLDER / script.group(1)).read_text()
    return {
        m.group(1): (int(m.group(2), 16), int(m.group(3)) * 1024)
        for m in re.finditer(
            r"^\s*(\w+)\s*\(\w+\)\s*:\s*ORIGIN\s*=\s*0x([0-9A-Fa-f]+),\s*LENGTH\s*=\s*(\d+)K",
            text,
            re.MULTILINE,
        )
    }


REGIONS = linker_regions()
PARTS = [REGIONS["FLASH_ROMFS0"], REGIONS["FLASH_ROMFS1"]]


def sectors_of(origin: int, length: int) -> list[int]:
    """Indexes of the sectors a region covers; it must be whole sectors."""
    covered = [i for i, (a, n) in enumerate(SECTORS) if origin <= a and a + n <= origin + length]
    assert sum(SECTORS[i][1] for i in covered) == length, (hex(origin), length)
    return covered


# ------------------------------------------------------------ the layout (host only)


def test_slots_are_the_filesystems_sectors_and_leave_the_code_alone():
    # Slot A = sectors 1-3, slot B = sector 4; vectors (sector 0) and FLASH_TEXT (5-7) as
    # in the port's stm32f411.ld, so the firmware region is unchanged.
    assert sectors_of(*REGIONS["FLASH_START"]) == [0]
    assert sectors_of(*PARTS[0]) == [1, 2, 3]
    assert sectors_of(*PARTS[1]) == [4]
    assert sectors_of(*REGIONS["FLASH_TEXT"]) == [5, 6, 7]
    assert REGIONS["FLASH_TEXT"][1] == BOARD.firmware_max_bytes
    assert REGIONS["FLASH"] == (FLASH_BASE, BOARD.flash_bytes)
    # The filesystem's RAM cache is RAM again: the whole of the part's 128 KiB.
    assert REGIONS["RAM"] == (0x2000_0000, BOARD.ram_bytes)
    assert "FS_CACHE" not in REGIONS and "FLASH_FS" not in REGIONS
    # The table: two slots, the larger one's bytes.
    assert BOARD.model_slots == 2
    assert BOARD.model_slot_bytes == max(n for _, n in PARTS) == 65_536


def test_board_configuration_gives_the_filesystem_sectors_to_rom_partitions():
    header = (FOLDER / "mpconfigboard.h").read_text()

    def define(name: str) -> str | None:
        found = re.search(rf"^#define {name}\s+\((\d+)\)", header, re.MULTILINE)
        return found.group(1) if found else None

    # No FAT filesystem in sectors 1-4 (it would share them with the slots), two
    # partitions in internal flash, and vfs.rom_ioctl without the ROMFS filesystem.
    assert define("MICROPY_HW_ENABLE_INTERNAL_FLASH_STORAGE") == "0"
    assert define("MICROPY_HW_ROMFS_ENABLE_INTERNAL_FLASH") == "1"
    assert define("MICROPY_HW_ROMFS_ENABLE_PART0") == "1"
    assert define("MICROPY_HW_ROMFS_ENABLE_PART1") == "1"
    assert define("MICROPY_VFS_ROM_IOCTL") == "1"
    script = (FOLDER / "stm32f411_model_slots.ld").read_text()
    for part, region in (("part0", "FLASH_ROMFS0"), ("part1", "FLASH_ROMFS1")):
        assert f"_micropy_hw_romfs_{part}_start = ORIGIN({region});" in script
        assert f"_micropy_hw_romfs_{part}_size = LENGTH({region});" in script


def elf_symbols(elf: Path) -> dict[str, int]:
    out = subprocess.run(
        ["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    return {p[2]: int(p[0], 16) for p in (line.split() for line in out.splitlines()) if len(p) == 3}


def test_built_image_has_the_partitions_and_no_filesystem(root):
    elf = root / "build" / BOARD.name / "firmware.elf"
    if not elf.is_file():
        pytest.skip(
            f"{BOARD.name} is not built ({elf} missing: `make board BOARD={BOARD.name} "
            "MICROPY_DIR=<a full MicroPython v1.25.0 tree with lib/stm32lib lib/libhydrogen>`)"
        )
    symbols = elf_symbols(elf)
    for i, (origin, length) in enumerate(PARTS):
        assert symbols[f"_micropy_hw_romfs_part{i}_start"] == origin
        assert symbols[f"_micropy_hw_romfs_part{i}_size"] == length
    assert "mp_vfs_rom_ioctl" in symbols
    assert "flash_bdev_ioctl" not in symbols  # no FAT filesystem in the slots' sectors
    assert symbols["_ram_end"] - symbols["_ram_start"] == BOARD.ram_bytes
    # Nothing of the image lies in the slots' sectors: no symbol there but their bounds.
    inside = {n for n, a in symbols.items() if PARTS[0][0] <= a < PARTS[1][0] + PARTS[1][1]}
    assert inside == {"_micropy_hw_romfs_part0_start", "_micropy_hw_romfs_part1_start"}


# ------------------------------------------------- the store on the simulated F411 (unix)

SIM = (
    f"FLASH_BASE = {FLASH_BASE}\nSECTORS = {SECTORS}\nPARTS = {PARTS}\n"
    + """
import earshot, earshot.store as st, _earshot

# The partitions' sectors, as offsets into the flash.
LO, HI = PARTS[0][0] - FLASH_BASE, PARTS[1][0] + PARTS[1][1] - FLASH_BASE

class PowerCut(Exception):
    pass

class F411:
    # The F411's flash and the stm32 port's vfs.rom_ioctl over two partitions. Each erase
    # of a sector and each write is a step; power is lost during step cut_at. bad records
    # what the store must never do: touch flash outside the partitions, or program a word
    # that is not erased.
    def __init__(self):
        self.mem = bytearray(b"\\xa5" * (512 * 1024))
        self.steps = 0
        self.cut_at = None
        self.bad = []

    def code_crc(self):
        # The sectors outside the partitions (vectors and firmware).
        m = memoryview(self.mem)
        return _earshot.crc32(m[0:LO]), _earshot.crc32(m[HI:])

    def step(self):
        cut = self.cut_at is not None and self.steps >= self.cut_at
        self.steps += 1
        return cut

    def inside(self, addr, n):
        return any(a <= addr and addr + n <= a + s for a, s in PARTS)

    def sector(self, addr):
        for start, size in SECTORS:
            if start <= addr < start + size:
                return start, size

    def erase(self, addr):  # flash_erase(): the sector holding addr
        start, size = self.sector(addr)
        if not self.inside(start, size):
            self.bad.append(("erase", start))
        o = start - FLASH_BASE
        if self.step():
            self.mem[o : o + size // 2] = b"\\xff" * (size // 2)
            raise PowerCut()
        self.mem[o : o + size] = b"\\xff" * size
        return size

    def program(self, addr, data):  # flash_write(): len // 4 words
        n = len(data) // 4 * 4
        if not self.inside(addr, n):
            self.bad.append(("program", addr, n))
            return
        o = addr - FLASH_BASE
        if self.mem[o : o + n] != b"\\xff" * n:
            self.bad.append(("program over data", addr, n))
            for i in range(n):
                self.mem[o + i] &= data[i]
            return
        if self.step():
            n = n // 8 * 4
            self.mem[o : o + n] = data[:n]
            raise PowerCut()
        self.mem[o : o + n] = data[:n]

    def rom_ioctl(self, cmd, id=0, arg=0, data=None):  # ports/stm32/vfs_rom_ioctl.c
        if cmd == 1:
            return len(PARTS)
        if not 0 <= id < len(PARTS):
            return -22
        base, size = PARTS[id]
        if cmd == 2:
            return memoryview(self.mem)[base - FLASH_BASE : base - FLASH_BASE + size]
        if cmd == 3:
            dest, end = base, base + arg
            if end > base + size:
                return -22
            while dest < end:
                dest += self.erase(dest)
            return 16
        if cmd == 4:
            dest = base + arg
            if dest + len(data) > base + size:
                return -22
            self.program(dest, data)
            return 0
        return -22  # no write-complete command in 1.25

def blob(name):
    return __import__("earshot_models." + name, None, None, ("MODEL",)).MODEL

def flash(ioctl, name, chunk=4096):
    data = blob(name)
    w = st.Store(ioctl).writer(len(data))
    for off in range(0, len(data), chunk):
        w.write(off, data[off : off + chunk])
    return w.label, w.commit(_earshot.crc32(data))

def state(ioctl):
    slot, source = st.selection(ioctl)
    return ((slot.label, slot.seq, slot.name) if slot else None), source

F = F411()
R = st.port_ioctl(F.rom_ioctl)
CODE = F.code_crc()
"""
)

pytestmark = pytest.mark.kinds("unix")


def last_line(target, code: str) -> object:
    out = target.exec(SIM + code).strip().splitlines()
    return eval(out[-1])


def test_models_alternate_slots_moving_the_active_one_when_only_its_slot_fits(target):
    # A (48 KiB) holds micro_speech and vad; mlperf_kws, okay_nabu and hey_jarvis (50-55
    # KB) fit only B (64 KiB). The slots start with what was there (the simulation's 0xa5
    # bytes: on a board that ran MicroPython before, its FAT filesystem).
    code = (
        "r = []\n"
        "for n in ('micro_speech', 'vad', 'mlperf_kws', 'okay_nabu', 'micro_speech',"
        " 'hey_jarvis'):\n"
        "    r.append((n, flash(R, n), [s.describe() for s in st.Store(R).slots()]))\n"
        "print(repr((r, F.bad, F.code_crc() == CODE)))"
    )
    steps, bad, code_intact = last_line(target, code)
    assert steps == [
        # the inactive slot (A) fits
        ("micro_speech", ("A", 1), ["slot A seq 1 (micro_speech)", "slot B: no model header"]),
        # the inactive slot (B) fits
        ("vad", ("B", 2), ["slot A seq 1 (micro_speech)", "slot B seq 2 (vad)"]),
        # only B fits mlperf_kws: vad moves to A (seq 3) first, then B takes mlperf_kws
        ("mlperf_kws", ("B", 4), ["slot A seq 3 (vad)", "slot B seq 4 (mlperf_kws)"]),
        # only B fits okay_nabu and mlperf_kws does not fit A: B is written over
        ("okay_nabu", ("B", 5), ["slot A seq 3 (vad)", "slot B seq 5 (okay_nabu)"]),
        ("micro_speech", ("A", 6), ["slot A seq 6 (micro_speech)", "slot B seq 5 (okay_nabu)"]),
        ("hey_jarvis", ("B", 7), ["slot A seq 6 (micro_speech)", "slot B seq 7 (hey_jarvis)"]),
    ]
    assert bad == [] and code_intact


def test_model_runs_in_place_from_flash_bit_exact_with_the_frozen_copy(target):
    code = (
        "flash(R, 'mlperf_kws')\n"
        "m = st.active_model(R)\n"
        "f = earshot.Model.frozen('mlperf_kws')\n"
        "for mm in (m, f):\n"
        "    for i in range(len(mm.input)):\n"
        "        mm.input[i] = (i * 7) % 256 - 128\n"
        "    mm.invoke()\n"
        "v = m._buffer\n"
        "print(repr((m.source, type(v).__name__, len(v), bytes(m.output) == bytes(f.output))))"
    )
    assert last_line(target, code) == (
        "slot B seq 1 (mlperf_kws)",  # too large for A: the first model goes to B
        "memoryview",
        SIZES["mlperf_kws"],
        True,
    )


# (models flashed before, the new model, the model a cut at any step leaves active, the
# passes the update makes: slot, model, chunk bytes)
CUTS = {
    "into the inactive slot": (
        ("micro_speech",),
        "hey_jarvis",
        "micro_speech",
        [(1, "hey_jarvis", 4096)],
    ),
    "after moving the active model": (
        ("micro_speech", "vad"),
        "mlperf_kws",
        "vad",
        [(0, "vad", 1024), (1, "mlperf_kws", 4096)],
    ),
    "over the active slot": (
        ("micro_speech", "vad", "mlperf_kws"),
        "okay_nabu",
        "vad",
        [(1, "okay_nabu", 4096)],
    ),
}


def expected_steps(passes: list[tuple[int, str, int]]) -> int:
    """Erases of a sector and writes of an update: each pass erases the sectors its model
    and header need, writes the model in chunks (Store.move copies in 1 KiB chunks), then
    the header."""
    steps = 0
    for slot, name, chunk in passes:
        base = PARTS[slot][0]
        steps += sum(1 for a, _ in SECTORS if base <= a < base + 64 + SIZES[name])
        steps += math.ceil(SIZES[name] / chunk) + 1
    return steps


@pytest.mark.parametrize("path", list(CUTS))
def test_power_cut_at_every_step_leaves_the_previous_model(target, path):
    before, new, kept, passes = CUTS[path]
    code = (
        f"for n in {before!r}:\n"
        "    flash(R, n)\n"
        "saved = bytes(F.mem[LO:HI])\n"
        "F.steps = 0\n"
        f"flash(R, {new!r})\n"
        "total = F.steps\n"
        "seen = []\n"
        "for k in range(total):\n"
        "    F.mem[LO:HI] = saved\n"
        "    F.steps, F.cut_at = 0, k\n"
        "    try:\n"
        f"        flash(R, {new!r})\n"
        "        cut = False\n"
        "    except PowerCut:\n"
        "        cut = True\n"
        "    F.cut_at = None\n"
        "    m = st.active_model(st.port_ioctl(F.rom_ioctl))\n"  # the board boots again
        "    after = (m.name, _earshot.crc32(m._buffer))\n"
        f"    retry = flash(R, {new!r})\n"  # and the next update succeeds
        "    seen.append((k, cut, after, retry, state(R)[0][2]))\n"
        "print(repr((total, seen, F.bad, F.code_crc() == CODE)))"
    )
    total, seen, bad, code_intact = last_line(target, code)
    assert total == expected_steps(passes)
    kept_crc = zlib.crc32((ROOT / "models" / kept / f"{kept}.esm").read_bytes())
    for k, cut, after, _retry, now in seen:
        assert cut, f"step {k}: no cut"
        assert after == (kept, kept_crc), f"cut at step {k} of {total}: {after}"
        assert now == new, f"after the cut at step {k}, the retry left {now}"
    assert [s[0] for s in seen] == list(range(total))
    assert bad == [] and code_intact


def test_what_does_not_fit_is_refused_before_anything_is_erased(target):
    code = (
        "flash(R, 'micro_speech')\n"
        "F.steps = 0\n"
        "S = st.Store(R)\n"
        "out = [S.slot_bytes, S.capacity]\n"
        "for f in (lambda: S.writer(len(blob('mlperf_sww'))),\n"
        "          lambda: R(3, 0, PARTS[0][1] + 1),\n"
        "          lambda: R(4, 1, PARTS[1][1] - 16, b'x' * 32),\n"
        "          lambda: R(2, 2)):\n"
        "    try:\n"
        "        out.append(f())\n"
        "    except ValueError as e:\n"
        "        out.append(str(e))\n"
        "print(repr((out, F.steps, state(R)[0], F.bad)))"
    )
    out, steps, active, bad = last_line(target, code)
    assert out == [
        65_536,
        65_472,
        f"model is {SIZES['mlperf_sww']} bytes, a slot holds 65472",
        -22,
        -22,
        -22,
    ]
    assert steps == 0 and active == ("A", 1, "micro_speech") and bad == []


def test_port_ioctl_takes_the_two_partitions_as_they_are(target):
    # vfs.rom_ioctl with two partitions: the store's slots are those partitions, and the
    # missing write-complete command (-EINVAL in 1.25) is not an error.
    code = "print(repr((F.rom_ioctl(5, 0), R(5, 0), R(1), len(R(2, 0)), len(R(2, 1)))))"
    assert last_line(target, code) == (-22, 0, 2, PARTS[0][1], PARTS[1][1])
