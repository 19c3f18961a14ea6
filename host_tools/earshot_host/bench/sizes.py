"""Flash and static RAM of earshot in a built firmware.

The C module: the input sections of its object files (build/<target>/earshot/**.o) that
the linker kept, from the firmware's linker map (QEMU boards); where there is no map (Unix
port), the Berkeley `size` of those objects. The frozen Python: the .mpy files the build
froze (build/<target>/frozen_mpy/): the `earshot` package and one module per model.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import EarshotError

# An input section line of a GNU ld map: name (or on the line before), address, size, object.
_SECTION = re.compile(r"^ (\.\S+|COMMON)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+\.o)$")
_NAME_ONLY = re.compile(r"^ (\.\S+|COMMON)$")


@dataclass(frozen=True)
class SectionTotals:
    text: int = 0  # .text + .rodata (flash)
    data: int = 0  # .data (flash and RAM)
    bss: int = 0  # .bss (RAM)

    @property
    def flash(self) -> int:
        return self.text + self.data

    @property
    def static_ram(self) -> int:
        return self.data + self.bss


def _kind(section: str) -> str | None:
    if section.startswith((".text", ".rodata")):
        return "text"
    if section.startswith(".data"):
        return "data"
    if section.startswith(".bss") or section == "COMMON":
        return "bss"
    return None


def map_totals(map_text: str, object_dir: Path) -> SectionTotals:
    """Sizes of the kept input sections of the objects under object_dir."""
    start = map_text.find("Linker script and memory map")
    if start < 0:
        raise EarshotError("linker map has no memory map section")
    prefix = str(object_dir.resolve()).rstrip("/") + "/"
    sums = {"text": 0, "data": 0, "bss": 0}
    pending: str | None = None
    for line in map_text[start:].splitlines():
        named = _NAME_ONLY.match(line)
        if named:
            pending = named.group(1)
            continue
        match = _SECTION.match(line)
        section = (match.group(1) or pending) if match else None
        pending = None
        if not match or section is None or not match.group(3).startswith(prefix):
            continue
        kind = _kind(section)
        if kind:
            sums[kind] += int(match.group(2), 16)
    return SectionTotals(**sums)


def object_totals(objects: list[Path], size_tool: str) -> SectionTotals:
    """Berkeley `size` of object files (text includes .rodata)."""
    if not objects:
        return SectionTotals()
    out = subprocess.run(
        [size_tool, *map(str, objects)], capture_output=True, text=True, check=True
    ).stdout
    text = data = bss = 0
    for line in out.splitlines()[1:]:
        fields = line.split()
        text += int(fields[0])
        data += int(fields[1])
        bss += int(fields[2])
    return SectionTotals(text, data, bss)


def cmodule_totals(build_dir: Path, size_tool: str) -> SectionTotals:
    objects = build_dir / "earshot"
    if not objects.is_dir():
        raise EarshotError(f"no C module objects in {objects}: build the firmware first")
    map_file = build_dir / "firmware.map"
    if map_file.is_file():
        return map_totals(map_file.read_text(errors="replace"), objects)
    return object_totals(sorted(objects.rglob("*.o")), size_tool)


def frozen_sizes(build_dir: Path) -> tuple[int, dict[str, int]]:
    """(bytes of the frozen `earshot` package, {model: bytes of its frozen module})."""
    frozen = build_dir / "frozen_mpy"
    package = sum(p.stat().st_size for p in (frozen / "earshot").rglob("*.mpy"))
    models = {
        p.stem: p.stat().st_size
        for p in (frozen / "earshot_models").glob("*.mpy")
        if p.stem != "__init__"
    }
    return package, models
