"""The natmod section of the bench: earshot on stock MicroPython as native modules.

For every install folder (`make natmod`: build/natmod/<arch>/, and the reduced builds of
`make natmod OPS=...` in build/natmod-<ops>/<arch>/): its file sizes, and the RAM it takes
once imported on the stock QEMU board that loads its architecture: `gc.mem_free()` before
and after importing `earshot`, after importing the detector's modules, and after
importing every module of the package. Two ways a board holds the files: a filesystem
(the files are read into RAM, bytecode included; the usual case) and a ROMFS partition
(bytecode runs in place from flash; native code is copied to RAM either way).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..boards import Board, load_boards
from ..errors import EarshotError
from ..natmod import ARCHS, natmod_arch, package_files, ram_fs_code
from ..runner import open_runner
from ..stock import Board as StockBoard

# The modules `micropython -m earshot --wav F` imports (the detector on a WAV).
DETECTOR = (
    "earshot.model", "earshot.frontend", "earshot.stream", "earshot.detect",
    "earshot.protocol", "earshot.ring", "earshot.sources.wav",
)  # fmt: skip

# Heap in use by `import earshot`, by the detector's modules, then by every module of the
# package (not __main__, which runs the command line).
IMPORT_RAM = """
import gc, sys
sys.path.insert(0, {lib!r})
gc.collect()
_f0 = gc.mem_free()
import earshot
gc.collect()
_f1 = gc.mem_free()
for _m in {detector!r}:
    __import__(_m)
gc.collect()
_f2 = gc.mem_free()
for _m in {modules!r}:
    try:
        __import__(_m)
    except ImportError:  # a module for other boards (earshot.dualcore: _thread; mqtt)
        pass
gc.collect()
print(_f0 - _f1, _f0 - _f2, _f0 - gc.mem_free(), earshot.__file__)
"""


def _log(message: str) -> None:
    print(f"earshot bench: {message}", file=sys.stderr, flush=True)


def modules_of(folder: Path) -> list[str]:
    """The package's modules, as import names, __main__ left out."""
    names = []
    for name in package_files(folder):
        if name.startswith("earshot/") and not name.endswith("__main__.mpy"):
            module = name.removesuffix(".mpy").removesuffix("/__init__").replace("/", ".")
            names.append(module)
    return names


def folder_sizes(folder: Path) -> dict[str, int]:
    files = package_files(folder)
    native = (folder / "_earshot.mpy").stat().st_size
    total = sum((folder / f).stat().st_size for f in files)
    return {"native_bytes": native, "package_bytes": total - native, "total_bytes": total}


def install_folders(root: Path) -> dict[str, dict[str, Path]]:
    """{build name: {arch: folder}}: "all" (build/natmod) and every OPS build."""
    out: dict[str, dict[str, Path]] = {}
    for base in sorted((root / "build").glob("natmod*")):
        name = "all" if base.name == "natmod" else base.name.removeprefix("natmod-")
        arches = {a: base / a for a in ARCHS if (base / a / "_earshot.mpy").is_file()}
        if arches and base.is_dir():
            out[name] = arches
    return out


def import_ram(board: Board, folder: Path, root: Path) -> dict[str, Any]:
    """RAM of the install folder imported on a stock QEMU board after a soft reset, from a
    filesystem (the files written over the raw REPL into natmod.RAM_FS, outside the heap)
    and, for the full build, from the board's ROMFS image (/rom/lib)."""
    runner = open_runner(board, root)
    modules = modules_of(folder)
    places = [("filesystem", "/flash/lib")]
    if folder.parent.name == "natmod":
        places.append(("romfs", "/rom/lib"))  # the board's image holds the full build only
    figures: dict[str, Any] = {"board": board.name}
    try:
        for where, lib in places:
            device = StockBoard(runner.fresh_session(), board.name)  # type: ignore[attr-defined]
            if where == "filesystem":
                device.run(ram_fs_code(board, 1 << 20))
                for name in package_files(folder):
                    device.write(f"{lib}/{name}", (folder / name).read_bytes())
                # Measured after a reset, as a board imports it: a clean heap.
                device = StockBoard(runner.fresh_session(), board.name)  # type: ignore[attr-defined]
                device.run(ram_fs_code(board, 1 << 20, fresh=False))
            code = IMPORT_RAM.format(lib=lib, detector=DETECTOR, modules=modules)
            try:
                imported, detector, full, module = device.run(code).split()
            except EarshotError as err:
                # The board's heap cannot hold what is imported (the code of a native
                # module lives in the heap): a figure it cannot give, said so.
                figures[where] = {"error": str(err).strip().splitlines()[-1]}
                continue
            if not module.startswith(lib + "/"):
                raise EarshotError(f"{board.name}: earshot came from {module}, not {lib}")
            figures[where] = {
                "import_bytes": int(imported),
                "detector_bytes": int(detector),
                "full_bytes": int(full),
            }
        return figures
    finally:
        runner.close()


def measure_natmod(root: Path) -> dict[str, Any]:
    """The natmod section of bench.json (empty without `make natmod`)."""
    boards = load_boards(root)
    stock = {natmod_arch(b): b for b in boards.values() if natmod_arch(b) and b.kind == "qemu"}
    out: dict[str, Any] = {}
    for build, arches in install_folders(root).items():
        entry: dict[str, Any] = {}
        for arch, folder in arches.items():
            figures: dict[str, Any] = folder_sizes(folder)
            if arch in stock:
                figures["ram"] = import_ram(stock[arch], folder, root)
                fs = figures["ram"]["filesystem"]
                ram = f"{fs['full_bytes']:,} bytes" if "full_bytes" in fs else fs["error"]
                _log(
                    f"natmod {build} {arch}: {figures['total_bytes']:,} bytes of files, "
                    f"RAM imported: {ram} ({stock[arch].name})"
                )
            entry[arch] = figures
        out[build] = entry
    return out
