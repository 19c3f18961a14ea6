"""Where the figures come from: commit, tools and their versions, compiler flags."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any


def _first_line(command: list[str], cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=cwd)
    except (OSError, subprocess.CalledProcessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0] if lines else ""


def commit_info(root: Path) -> dict[str, Any]:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    ).stdout
    return {
        "describe": _first_line(["git", "describe", "--always", "--dirty", "--tags"], root),
        "commit": _first_line(["git", "rev-parse", "HEAD"], root),
        "dirty": bool(status.strip()),
    }


def tool_versions() -> dict[str, str | None]:
    return {
        "arm-none-eabi-gcc": _first_line(["arm-none-eabi-gcc", "--version"]),
        "cc": _first_line(["cc", "--version"]),
        "qemu-system-arm": _first_line(["qemu-system-arm", "--version"]),
        "valgrind": _first_line(["valgrind", "--version"]),
    }


def _makefile_flags(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if re.match(r"\s*(CFLAGS|COPT|LDFLAGS|MPY_CROSS_FLAGS)\b", line)
    ]


def compiler_flags(root: Path, target: str, port: str, micropy_dir: Path) -> list[str]:
    """The flag lines of the board folder, earshot's feature layers and the port."""
    lines = _makefile_flags(root / "boards" / target / "mpconfigboard.mk")
    lines += _makefile_flags(root / "boards" / target / "mpconfigvariant.mk")
    for layer in sorted((root / "firmware" / "config").glob("*.mk")):
        lines += _makefile_flags(layer)
    lines += [
        f"port: {x}"
        for x in _makefile_flags(micropy_dir / "ports" / port / "Makefile")
        if x.startswith("COPT")
    ]
    return lines
