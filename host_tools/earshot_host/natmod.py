"""earshot as native modules for stock MicroPython (`make natmod`): the architectures, the
install folders, which folder a board's MicroPython loads, its mip package.json, and
ROMFS images of it.

An install folder, build/natmod/<arch>/, holds `_earshot.mpy` (the C module linked by
MicroPython's tools/mpy_ld.py) and `earshot/*.mpy` (the device package); copying its
contents to a board's /lib, or putting it on MICROPYPATH, is the whole install.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .boards import Board
from .errors import EarshotError
from .paths import project_root

# The architectures `make natmod` builds (the names of py/dynruntime.mk).
ARCHS = ("x64", "armv6m", "armv7m", "armv7emsp")

# MicroPython's native architectures, by their number in sys.implementation._mpy
# (py/persistentcode.h, MP_NATIVE_ARCH_*).
MPY_ARCH_NAMES = (
    None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
    "xtensa", "xtensawin", "rv32imc",
)  # fmt: skip

# The install folder each architecture of a board's firmware loads: a Thumb-2 firmware
# loads native code of the architectures up to its own (MPY_FEATURE_ARCH_TEST), so a
# Cortex-M3/M4 without FPU (armv7em) takes armv7m, and a double-precision FPU (armv7emdp)
# takes armv7emsp only where its float is single precision (see natmod_for_mpy).
LOADS = {
    "x64": "x64",
    "armv6m": "armv6m",
    "armv7m": "armv7m",
    "armv7em": "armv7m",
    "armv7emsp": "armv7emsp",
    "armv7emdp": "armv7emsp",
}

# The .mpy format the native modules are built in (MicroPython 1.23 and later load it).
MPY_VERSION = 6
MPY_SUB_VERSION = 3

# Where the stock QEMU boards get their ROMFS image loaded, and the code that mounts it
# at /rom after every (soft) reset, as a board with a ROMFS partition does at boot
# (extmod/vfs.c mp_vfs_mount_romfs_protected: /rom mounted, /rom and /rom/lib on sys.path).
ROMFS_MOUNT = (
    "import vfs, sys, uctypes\n"
    "try:\n"
    "    vfs.mount(vfs.VfsRom(uctypes.bytearray_at({addr:#x}, {size})), '/rom')\n"
    "except OSError:\n"
    "    pass\n"
    "for _p in ('/rom', '/rom/lib'):\n"
    "    if _p not in sys.path:\n"
    "        sys.path.append(_p)\n"
    "del vfs, uctypes, _p\n"
)


# A filesystem in RAM with MicroPython's VFS protocol, mounted at /flash with /flash/lib
# first on sys.path: on the stock QEMU boards (which have no flash filesystem) it stands in
# for a board's flash after its boot, for installing over the raw REPL (tests, bench). It
# lives in a RAM region of the machine outside the heap, so that it outlasts a soft reset
# as flash does: its index (repr of files, folders and the next free offset) at the start,
# file data appended after INDEX_BYTES (one file written at a time); `fresh` formats it,
# otherwise the index is read back. Files are read through io.BytesIO (a stream, as
# imports need). It holds `capacity` bytes of live files.
RAM_FS = """
import vfs, sys, io, uctypes
class _Writer:
    def __init__(self, fs, path):
        self.fs, self.path = fs, path
        fs.files[path] = (fs.top, 0)
    def write(self, data):
        fs, n = self.fs, len(data)
        off, size = fs.files[self.path]
        if fs.used() + n > fs.capacity or fs.top + n > len(fs.mem):
            raise OSError(28)
        fs.mem[fs.top:fs.top + n] = data
        fs.top += n
        fs.files[self.path] = (off, size + n)
        return n
    def close(self):
        self.fs.save()
class RamFS:
    def __init__(self, capacity, fresh):
        self.mem = memoryview(uctypes.bytearray_at({addr:#x}, {region}))
        self.capacity = capacity
        if fresh:
            self.files, self.dirs, self.top = {{}}, {{''}}, {index}
            self.save()
        else:
            n = int.from_bytes(self.mem[0:4], 'little')
            self.files, self.dirs, self.top = eval(bytes(self.mem[4:4 + n]))
    def save(self):
        b = repr((self.files, self.dirs, self.top)).encode()
        if len(b) + 4 > {index}:
            raise OSError(28)
        self.mem[0:4] = len(b).to_bytes(4, 'little')
        self.mem[4:4 + len(b)] = b
    def used(self):
        return sum(v[1] for v in self.files.values())
    def mount(self, readonly, mkfs):
        pass
    def umount(self):
        pass
    def _p(self, path):
        return path.strip('/')
    def open(self, path, mode):
        p = self._p(path)
        if 'w' in mode:
            if p.rpartition('/')[0] not in self.dirs:
                raise OSError(2)
            return _Writer(self, p)
        if p not in self.files:
            raise OSError(2)
        off, size = self.files[p]
        return io.BytesIO(self.mem[off:off + size])
    def stat(self, path):
        p = self._p(path)
        if p in self.dirs:
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        if p in self.files:
            return (0x8000, 0, 0, 0, 0, 0, self.files[p][1], 0, 0, 0)
        raise OSError(2)
    def ilistdir(self, path):
        p = self._p(path)
        pre = p + '/' if p else ''
        for d in self.dirs:
            if d and d.startswith(pre) and '/' not in d[len(pre):]:
                yield (d[len(pre):], 0x4000, 0, 0)
        for f, v in self.files.items():
            if f.startswith(pre) and '/' not in f[len(pre):]:
                yield (f[len(pre):], 0x8000, 0, v[1])
    def mkdir(self, path):
        self.dirs.add(self._p(path))
        self.save()
    def remove(self, path):
        del self.files[self._p(path)]
        self.save()
    def statvfs(self, path):
        free = (self.capacity - self.used()) // 512
        return (512, 512, self.capacity // 512, free, free, 0, 0, 0, 0, 255)
    def chdir(self, path):
        pass
    def getcwd(self):
        return ''
vfs.mount(RamFS({capacity}, {fresh}), '/flash')
sys.path.insert(0, '/flash/lib')
"""
# The region: 8 MiB above the ROMFS image, in the machine's RAM (mps2: 16 MiB at romfs_addr).
RAM_FS_OFFSET = 8 << 20
RAM_FS_REGION = 4 << 20
RAM_FS_INDEX_BYTES = 16 << 10


def ram_fs_code(board: Board, capacity: int, fresh: bool = True) -> str:
    """The code that mounts RAM_FS on a stock QEMU board (its romfs_addr row): a new, empty
    one (fresh), or the one a run before this soft reset left there."""
    addr = int(board.extra.get("romfs_addr", 0))
    if not addr:
        raise EarshotError(f"{board.name} has no romfs_addr: no RAM region for a filesystem")
    return RAM_FS.format(
        addr=addr + RAM_FS_OFFSET,
        region=RAM_FS_REGION,
        capacity=capacity,
        index=RAM_FS_INDEX_BYTES,
        fresh=fresh,
    )


def natmod_arch(board: Board) -> str:
    """The native-module architecture a row of boards.toml runs (its `natmod` column), or
    "" for a board whose firmware has earshot built in."""
    arch = str(board.extra.get("natmod", ""))
    if arch and arch not in ARCHS:
        raise EarshotError(
            f"boards.toml: {board.name} has natmod = {arch!r} (built: {', '.join(ARCHS)})"
        )
    return arch


def natmod_dir(arch: str, root: Path | None = None) -> Path:
    """The install folder of one architecture (`make natmod`)."""
    return (root or project_root()) / "build" / "natmod" / arch


def built_natmod_dir(arch: str, root: Path | None = None) -> Path:
    """The install folder, checked to hold a build."""
    folder = natmod_dir(arch, root)
    if not (folder / "_earshot.mpy").is_file():
        raise EarshotError(f"no native module for {arch} in {folder} (run `make natmod`)")
    return folder


@dataclass(frozen=True)
class MpyInfo:
    """What a board's sys.implementation._mpy says about the .mpy files it loads."""

    version: int
    sub_version: int
    arch: str | None

    @classmethod
    def decode(cls, mpy: int) -> MpyInfo:
        features = (mpy >> 8) & 0xFF
        index = features >> 2
        arch = MPY_ARCH_NAMES[index] if index < len(MPY_ARCH_NAMES) else f"arch {index}"
        return cls(mpy & 0xFF, features & 3, arch)


def natmod_for_mpy(mpy: int, float_bits: int = 32) -> str:
    """The install folder (architecture) for a board whose sys.implementation._mpy is mpy
    and whose floats have float_bits bits; EarshotError, naming why, where none fits."""
    info = MpyInfo.decode(mpy)
    if (info.version, info.sub_version) != (MPY_VERSION, MPY_SUB_VERSION):
        raise EarshotError(
            f"the board loads .mpy version {info.version}.{info.sub_version}; earshot's native "
            f"modules are {MPY_VERSION}.{MPY_SUB_VERSION} (MicroPython 1.23 or later)"
        )
    if info.arch is None:
        raise EarshotError("the board's MicroPython cannot load native code (no native arch)")
    arch = LOADS.get(info.arch)
    if arch is None:
        raise EarshotError(
            f"no earshot native module for {info.arch} (built: {', '.join(ARCHS)}; "
            "xtensawin and rv32imc need toolchains that Debian and PyPI do not ship here)"
        )
    if info.arch == "armv7emdp" and float_bits != 32:
        raise EarshotError(
            "the board's MicroPython uses double-precision floats: earshot's armv7emsp "
            "module is built for single precision"
        )
    return arch


def package_files(folder: Path) -> list[str]:
    """The files of an install folder, relative to it, in a stable order."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.mpy") if p.is_file())


def package_json(folder: Path, version: str) -> dict[str, object]:
    """mip's package.json for an install folder: every file, by a URL relative to the
    package.json itself (mip resolves it against where the JSON was fetched from)."""
    return {"urls": [[name, name] for name in package_files(folder)], "version": version}


def write_package_json(folder: Path, version: str) -> Path:
    path = folder / "package.json"
    path.write_text(json.dumps(package_json(folder, version), indent=1) + "\n")
    return path


# ------------------------------------------------------------------------- ROMFS
# MicroPython's ROMFS format (extmod/vfs_rom.c): records of (kind, length, payload), with
# unsigned LEB128-style big-endian varints. The writer below gives every length field the
# same width (leading 0x80 bytes decode as zeros), so that every record's position is known
# while writing, and puts a padding record before each file's data so that the data is
# ALIGN-byte aligned in the image: a model read in place needs its weights aligned
# (models/FORMAT.md: constant data is 16-byte aligned in the file).

_HEADER = b"\xd2\xcd\x31"  # the filesystem record's kind
_PADDING, _DATA, _DIRECTORY, _FILE = 1, 2, 4, 5
_WIDTH = 4  # bytes of every length field: up to 2**28 - 1
ALIGN = 16


def _uint(value: int, width: int = 0) -> bytes:
    """value as a varint, padded with leading 0x80 bytes to width bytes if given."""
    out = [value & 0x7F]
    rest = value >> 7
    while rest:
        out.insert(0, 0x80 | (rest & 0x7F))
        rest >>= 7
    if width and len(out) > width:
        raise EarshotError(f"ROMFS: a record of {value} bytes is too large")
    return bytes([0x80] * (width - len(out)) + out)


def _record(kind: int, payload: bytes) -> bytes:
    return _uint(kind) + _uint(len(payload), _WIDTH) + payload


def _padding(position: int, before: int) -> bytes:
    """A padding record placed at position such that position + its size + before is a
    multiple of ALIGN (a padding record is at least 1 + _WIDTH bytes)."""
    head = 1 + _WIDTH
    fill = (-(position + head + before)) % ALIGN
    return _record(_PADDING, bytes(fill))


def _tree(files: dict[str, bytes]) -> dict[str, object]:
    tree: dict[str, object] = {}
    for path, data in files.items():
        parts = [p for p in path.split("/") if p]
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise EarshotError(f"ROMFS: {path} is under a file")
            node = child
        if parts[-1] in node:
            raise EarshotError(f"ROMFS: {path} given twice")
        node[parts[-1]] = bytes(data)
    return tree


def _entries(tree: dict[str, object], position: int) -> bytes:
    """The records of a directory's entries, the first starting at image offset position."""
    out = bytearray()
    for name in sorted(tree):
        entry = tree[name]
        encoded = name.encode()
        start = position + len(out)
        head = 1 + _WIDTH + len(_uint(len(encoded))) + len(encoded)
        if isinstance(entry, dict):
            payload = _uint(len(encoded)) + encoded + _entries(entry, start + head)
            out += _record(_DIRECTORY, payload)
        else:
            assert isinstance(entry, bytes)
            data_head = 1 + _WIDTH
            pad = _padding(start + head, data_head)
            payload = _uint(len(encoded)) + encoded + pad + _record(_DATA, entry)
            out += _record(_FILE, payload)
    return bytes(out)


def romfs_image(files: dict[str, bytes]) -> bytes:
    """A ROMFS image of files ({"lib/earshot/__init__.mpy": data, ...}), each file's data
    ALIGN-byte aligned from the image's start."""
    body = _entries(_tree(files), len(_HEADER) + _WIDTH)
    if (len(_HEADER) + _WIDTH + len(body)) % 2:
        body += _record(_PADDING, b"")  # the whole record's size must be even
    return _HEADER + _uint(len(body), _WIDTH) + body


def romfs_files(arch: str, root: Path | None = None, extra: Path | None = None) -> dict[str, bytes]:
    """The files of a ROMFS image holding an install folder under lib/ and, at the top,
    the files of the folder extra (data for the board: models, WAVs)."""
    folder = built_natmod_dir(arch, root)
    files = {f"lib/{name}": (folder / name).read_bytes() for name in package_files(folder)}
    if extra is not None and extra.is_dir():
        for path in sorted(extra.rglob("*")):
            if path.is_file():
                files[path.relative_to(extra).as_posix()] = path.read_bytes()
    return files


# --------------------------------------------------------- stock rows of boards.toml
# How a target whose firmware is stock MicroPython (a `natmod` column) gets earshot: the
# Unix port through MICROPYPATH, a QEMU board through a ROMFS image that QEMU loads at the
# row's romfs_addr and that is mounted after every reset.


def stock_data_dir(board: Board, root: Path | None = None) -> Path:
    """Files that go on a stock QEMU board's /rom beside lib/ (tests put data there)."""
    return (root or project_root()) / "build" / "natmod" / "romfs" / board.name


def unix_env(board: Board, root: Path | None = None) -> dict[str, str]:
    """Environment for a stock Unix port: the install folder on MICROPYPATH."""
    arch = natmod_arch(board)
    if not arch:
        return {}
    return {"MICROPYPATH": f".frozen:{built_natmod_dir(arch, root)}"}


def qemu_romfs(board: Board, root: Path | None = None) -> tuple[list[str], str]:
    """(QEMU arguments, mount code) for a stock QEMU board: a fresh ROMFS image of the
    install folder and of stock_data_dir, loaded at the row's romfs_addr; ([], "") for a
    board with earshot built in."""
    arch = natmod_arch(board)
    if not arch:
        return [], ""
    addr = int(board.extra.get("romfs_addr", 0))
    if not addr:
        raise EarshotError(f"boards.toml: stock board {board.name} has no romfs_addr")
    data = stock_data_dir(board, root)
    image = romfs_image(romfs_files(arch, root, data))
    path = data.parent / f"{board.name}.img"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    args = ["-device", f"loader,file={path},addr={addr:#x},force-raw=on"]
    return args, ROMFS_MOUNT.format(addr=addr, size=len(image))


# The parts `make natmod OPS=...` can leave out (firmware/natmod/ops.mk): kernels by the
# operators that need them, front ends by their type. spectral goes with mfcc and logmel.
PARTS_OF_OPERATOR = {
    "CONV_2D": "conv",
    "AVERAGE_POOL_2D": "pool",
    "MAX_POOL_2D": "pool",
    "ADD": "add",
}
PARTS = ("conv", "pool", "add", "tflm_micro", "mfcc", "logmel")


def needed_parts(spec: str, root: Path | None = None) -> set[str]:
    """The parts that OPS=spec keeps: each comma-separated item is a part or a model of
    models/ (whose operators and front end it needs)."""
    from .catalog import load_catalog
    from .modelfile import read_model

    catalog = load_catalog()
    keep: set[str] = set()
    for item in (i.strip() for i in spec.split(",") if i.strip()):
        if item in PARTS:
            keep.add(item)
        elif item in catalog:
            model = read_model(catalog[item].model_path.read_bytes())
            keep |= {PARTS_OF_OPERATOR[o.opcode.name] for o in model.ops
                     if o.opcode.name in PARTS_OF_OPERATOR}  # fmt: skip
            frontend = model.metadata.get("frontend")
            if frontend:
                keep.add(str(frontend["type"]))
        else:
            raise EarshotError(
                f"OPS: {item!r} is neither a part ({', '.join(PARTS)}) nor a model of "
                f"models/ ({', '.join(sorted(catalog))})"
            )
    return keep


def absent_parts(spec: str, root: Path | None = None) -> list[str]:
    """The parts OPS=spec leaves out, spectral included when mfcc and logmel both are."""
    keep = needed_parts(spec, root)
    out = [p for p in PARTS if p not in keep]
    if "mfcc" in out and "logmel" in out:
        out.append("spectral")
    return out


def device_version(root: Path | None = None) -> str:
    """The device package's __version__ (firmware/earshot/__init__.py)."""
    text = ((root or project_root()) / "firmware" / "earshot" / "__init__.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise EarshotError("firmware/earshot/__init__.py has no __version__")
    return match.group(1)


def _main(argv: list[str]) -> int:
    """`python -m earshot_host.natmod package FOLDER`: write FOLDER/package.json and say
    what the folder holds (run by `make natmod` for each architecture);
    `python -m earshot_host.natmod absent OPS`: the parts OPS leaves out (ops.mk)."""
    import sys

    if len(argv) == 2 and argv[0] == "absent":
        try:
            print(" ".join(absent_parts(argv[1])))
        except EarshotError as err:
            print(f"earshot: error: {err}", file=sys.stderr)
            return 1
        return 0
    if len(argv) != 2 or argv[0] != "package":
        print("usage: python -m earshot_host.natmod (package FOLDER | absent OPS)", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    try:
        path = write_package_json(folder, device_version())
    except (OSError, EarshotError) as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1
    files = package_files(folder)
    native = (folder / "_earshot.mpy").stat().st_size
    total = sum((folder / f).stat().st_size for f in files)
    print(
        f"earshot: built {folder} ({len(files)} files, {total:,} bytes: _earshot.mpy "
        f"{native:,}); mip: {path.name}"
    )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))
