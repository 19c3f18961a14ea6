"""The table of supported targets (boards/boards.toml), as typed rows."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EarshotError
from .paths import project_root

KINDS = ("unix", "qemu", "rp2", "stm32")
KERNEL_VARIANTS = ("optimized", "reference")


@dataclass(frozen=True)
class Board:
    """One row of boards/boards.toml."""

    name: str
    kind: str
    port: str
    core: str
    description: str
    firmware: str = ""
    clock_hz: int = 0
    cores: int = 1
    ram_bytes: int = 0
    flash_bytes: int = 0
    heap_bytes: int = 0
    machine: str = ""
    qemu_args: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    model_slots: int = 0
    model_slot_bytes: int = 0
    firmware_max_bytes: int = 0
    build_packages: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def emulated(self) -> bool:
        """True for targets the test harness can run here (Unix port and QEMU)."""
        return self.kind in ("unix", "qemu")

    def firmware_path(
        self, root: Path | None = None, kernels: str | None = None, sanitize: bool | None = None
    ) -> Path:
        """The built firmware; `kernels="reference"` (or EARSHOT_KERNELS=reference in the
        environment) names the build with the portable reference kernels, which lives in
        build/<target>-reference/ beside the optimized build/<target>/. `sanitize=True` (or
        EARSHOT_SANITIZE=1) names the Unix build with ASan and UBSan, build/unix-sanitize/
        (`make unix SANITIZE=1`); QEMU boards have no sanitized build. EARSHOT_ULAB=1 names
        the builds with ulab, build/<target>-ulab/ (`make unix ULAB=1`, docs/ULAB.md)."""
        path = Path(self.firmware)
        kernels = kernels or os.environ.get("EARSHOT_KERNELS") or "optimized"
        if kernels not in KERNEL_VARIANTS:
            raise EarshotError(f"unknown kernels {kernels!r} (known: {', '.join(KERNEL_VARIANTS)})")
        if sanitize is None:
            sanitize = os.environ.get("EARSHOT_SANITIZE", "") not in ("", "0")
        suffix = "-reference" if kernels == "reference" else ""
        suffix += "-sanitize" if sanitize and self.kind == "unix" else ""
        suffix += "-ulab" if os.environ.get("EARSHOT_ULAB", "") not in ("", "0") else ""
        if suffix and len(path.parts) > 2 and path.parts[0] == "build":
            path = Path("build", path.parts[1] + suffix, *path.parts[2:])
        return (root or project_root()) / path


def load_boards(root: Path | None = None) -> dict[str, Board]:
    """Read boards/boards.toml; every row must name a folder beside it."""
    root = root or project_root()
    table_path = root / "boards" / "boards.toml"
    try:
        table = tomllib.loads(table_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise EarshotError(f"cannot read the board table {table_path}: {err}") from err
    boards: dict[str, Board] = {}
    known = {f for f in Board.__dataclass_fields__ if f not in ("name", "extra")}
    for name, row in table.items():
        if row.get("kind") not in KINDS:
            raise EarshotError(f"{table_path}: board {name!r} has unknown kind {row.get('kind')!r}")
        if not (table_path.parent / name).is_dir():
            raise EarshotError(f"{table_path}: board {name!r} has no folder boards/{name}/")
        args = {k: (tuple(v) if isinstance(v, list) else v) for k, v in row.items() if k in known}
        extra = {k: v for k, v in row.items() if k not in known}
        boards[name] = Board(name=name, extra=extra, **args)
    return boards


def get_board(name: str, root: Path | None = None) -> Board:
    boards = load_boards(root)
    try:
        return boards[name]
    except KeyError:
        raise EarshotError(
            f"unknown target {name!r} (known: {', '.join(sorted(boards))})"
        ) from None


def emulated_board_names(root: Path | None = None) -> list[str]:
    """Targets that run on this machine, in table order."""
    return [b.name for b in load_boards(root).values() if b.emulated]


def missing_vendor_dirs(board: Board, micropy_dir: Path) -> list[str]:
    """The folders of a full MicroPython tree that the board's port needs and that are
    missing or empty in micropy_dir (Debian's +ds tree lacks most of lib/)."""
    missing = []
    for rel in board.requires:
        path = micropy_dir / rel
        if not path.is_dir() or not any(path.iterdir()):
            missing.append(rel)
    return missing
