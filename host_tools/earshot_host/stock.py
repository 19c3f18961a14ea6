"""earshot on a board that runs stock MicroPython, over mpremote's transport (raw REPL):
install the native modules (`earshot install`), and put a model on the board as a file,
in place in its ROMFS partition where it has one (`flash-model` on stock firmware).

The install is a copy of build/natmod/<arch>/ (`make natmod`) into the first lib folder
on the board's sys.path, the architecture chosen from sys.implementation._mpy
(earshot_host.natmod.natmod_for_mpy). A model goes where earshot.Model.from_file reads
it with the least RAM: into the ROMFS partition (vfs.rom_ioctl; the model is then read
in place from flash) when the board has one, else into a file of its filesystem (read
once into RAM). See docs/STOCK.md.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import tempfile
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mpremote.transport import Transport, TransportError

from .errors import EarshotError
from .natmod import (
    MpyInfo,
    built_natmod_dir,
    natmod_for_mpy,
    package_files,
    romfs_image,
)
from .runner.result import Progress

# What the board says about itself: (_mpy, version, float bits, sys.path, has rom_ioctl,
# ROMFS partitions). A board without float support reports 0 float bits.
INFO_CODE = """
import sys, vfs
try:
    _fb = 64 if 1.0 + 2.0 ** -40 != 1.0 else 32
except Exception:
    _fb = 0
_rom = hasattr(vfs, 'rom_ioctl')
print(repr((getattr(sys.implementation, '_mpy', 0), '.'.join(str(v) for v in
    sys.implementation.version[:3]), _fb, list(sys.path), _rom,
    vfs.rom_ioctl(1) if _rom else 0)))
"""

# Bytes free on the filesystem holding a folder, None where statvfs is missing.
FREE_CODE = """
import os
try:
    _s = os.statvfs({path!r})
    print(_s[0] * _s[4])
except (AttributeError, OSError):
    print(None)
"""

# Files under a folder of the board, recursively, as (path, size).
WALK_CODE = """
import os
def _walk(d):
    for e in os.ilistdir(d):
        p = d + '/' + e[0]
        if e[1] & 0x4000:
            _walk(p)
        else:
            print(repr((p, e[3] if len(e) > 3 else os.stat(p)[6])))
try:
    _walk({path!r})
except OSError:
    pass
"""

VERIFY_CODE = """
import gc
gc.collect()
import earshot, _earshot
print(repr((earshot.__version__, earshot.__file__, earshot.kernels)))
"""


# Bytes of a file per raw-REPL run when writing to a board.
CHUNK = 2048


@dataclass(frozen=True)
class BoardInfo:
    """A stock MicroPython board as earshot sees it."""

    mpy: int  # sys.implementation._mpy
    version: str  # MicroPython's version, e.g. "1.25.0"
    float_bits: int  # 32, 64, or 0 without floats
    path: tuple[str, ...]  # sys.path
    rom_partitions: int  # ROMFS partitions (vfs.rom_ioctl(1)); 0 without ROMFS

    @property
    def arch(self) -> str:
        """The native-module architecture to install (EarshotError if none fits)."""
        if not self.float_bits:
            raise EarshotError("the board's MicroPython has no floating point: earshot needs it")
        return natmod_for_mpy(self.mpy, self.float_bits)

    @property
    def native_arch(self) -> str | None:
        return MpyInfo.decode(self.mpy).arch

    @property
    def lib(self) -> str | None:
        """Where packages go: the first .../lib folder of sys.path outside /rom (as mip)."""
        for entry in self.path:
            if entry.endswith("/lib") and not entry.startswith("/rom"):
                return entry
        return None


@dataclass(frozen=True)
class InstallResult:
    arch: str
    target: str  # the folder the files went to
    files: int
    bytes: int
    version: str  # earshot.__version__ as the board imported it
    module: str  # earshot.__file__ on the board


class Board:
    """A board in raw REPL through an mpremote transport; remote failures become
    EarshotError naming the code's error. reset, if given, replaces soft_reset's raw-REPL
    soft reset (a test board that must mount its filesystem again afterwards)."""

    def __init__(
        self, transport: Transport, name: str, reset: Callable[[], None] | None = None
    ) -> None:
        self.transport = transport
        self.name = name
        self._reset = reset

    def soft_reset(self) -> None:
        """A soft reset, back in raw REPL: a clean heap, the filesystem as the board's boot
        mounts it."""
        if self._reset is not None:
            self._reset()
            return
        try:
            self.transport.enter_raw_repl(soft_reset=True)
        except (TransportError, OSError) as err:
            raise EarshotError(f"{self.name}: no raw REPL after a soft reset ({err})") from err

    def run(self, code: str, timeout: float = 30.0) -> str:
        try:
            out, err = self.transport.exec_raw(code, timeout=timeout)
        except (TransportError, OSError) as exc:
            raise EarshotError(f"{self.name}: the board stopped answering ({exc})") from exc
        if err:
            text = err.decode(errors="replace").strip().splitlines()
            raise EarshotError(f"{self.name}: {text[-1] if text else 'error'}")
        return out.decode(errors="replace")

    def eval(self, code: str, timeout: float = 30.0) -> object:
        """The Python literal the code prints last."""
        lines = [line for line in self.run(code, timeout).splitlines() if line.strip()]
        if not lines:
            raise EarshotError(f"{self.name}: no answer")
        return ast.literal_eval(lines[-1])

    def info(self) -> BoardInfo:
        mpy, version, bits, path, _rom, parts = self.eval(INFO_CODE)  # type: ignore[misc]
        return BoardInfo(int(mpy), str(version), int(bits), tuple(path), int(parts))

    def free_bytes(self, folder: str) -> int | None:
        value = self.eval(FREE_CODE.format(path=folder))
        return None if value is None else int(value)  # type: ignore[arg-type]

    def existing(self, folder: str) -> str:
        """folder, or its nearest existing parent (where its files would go)."""
        while folder not in ("", "/") and not self.transport.fs_exists(folder):
            folder = folder.rsplit("/", 1)[0]
        return folder or "/"

    def files(self, folder: str) -> dict[str, int]:
        """Files under folder (recursively) and their sizes; {} when there is no folder."""
        out = self.run(WALK_CODE.format(path=folder))
        return dict(ast.literal_eval(line) for line in out.splitlines() if line.strip())

    def mkdirs(self, folder: str) -> None:
        parts = [p for p in folder.split("/") if p]
        prefix = ""
        for part in parts:
            prefix += "/" + part
            if not self.transport.fs_exists(prefix):
                self.transport.fs_mkdir(prefix)

    def write(self, path: str, data: bytes, progress: Progress | None = None) -> None:
        """A file of data at path (its folders made), sent in base64 chunks of CHUNK
        bytes (a third of the text of mpremote's repr chunks)."""
        self.mkdirs(path.rsplit("/", 1)[0])
        self.run(f"_f = open({path!r}, 'wb')\nfrom binascii import a2b_base64 as _d")
        try:
            for start in range(0, len(data), CHUNK):
                piece = base64.b64encode(data[start : start + CHUNK]).decode()
                self.run(f"_f.write(_d({piece!r}))")
                if progress:
                    progress(min(start + CHUNK, len(data)), len(data))
        finally:
            self.run("_f.close()\ndel _f, _d")


@contextlib.contextmanager
def connect(port: str, soft_reset: bool = True) -> Iterator[Board]:
    """The board on a serial port, in raw REPL (after a soft reset, so that it runs what
    its boot mounted), closed at the end."""
    from mpremote.transport_serial import SerialTransport

    if "://" not in port and not Path(port).exists():
        raise EarshotError(f"port {port}: no such device")
    try:
        transport = SerialTransport(port, baudrate=115200)
    except TransportError as err:
        raise EarshotError(f"port {port}: cannot open it ({err})") from err
    try:
        try:
            transport.enter_raw_repl(soft_reset=soft_reset)
        except (TransportError, OSError) as err:
            raise EarshotError(f"port {port}: no MicroPython raw REPL there ({err})") from err
        yield Board(transport, port)
    finally:
        with contextlib.suppress(TransportError, OSError):
            transport.exit_raw_repl()
        with contextlib.suppress(TransportError, OSError):
            transport.close()


def install(
    board: Board,
    root: Path | None = None,
    target: str | None = None,
    progress: Progress | None = None,
) -> InstallResult:
    """Copy the native modules for the board's architecture into its lib folder (target,
    or the first lib folder of sys.path), then import earshot there to check it."""
    info = board.info()
    arch = info.arch
    folder = built_natmod_dir(arch, root)
    target = target or info.lib
    if not target:
        raise EarshotError(
            f"{board.name}: no lib folder on the board's sys.path {list(info.path)}; "
            "give one with --target (e.g. /lib)"
        )
    target = target.rstrip("/")
    names = package_files(folder)
    data = {name: (folder / name).read_bytes() for name in names}
    total = sum(len(d) for d in data.values())
    # Room: the new files replace the ones of an earlier install.
    old = board.files(f"{target}/earshot")
    old_native = board.files(target).get(f"{target}/_earshot.mpy", 0)
    free = board.free_bytes(board.existing(target))
    reclaimed = sum(old.values()) + old_native
    if free is not None and total > free + reclaimed:
        raise EarshotError(
            f"{board.name}: no room for earshot ({arch}): it needs {total:,} bytes in "
            f"{target}, the filesystem has {free + reclaimed:,} free"
        )
    stale = set(old) - {f"{target}/{name}" for name in names}
    for path in sorted(stale):
        board.transport.fs_rmfile(path)
    done = 0
    for name in names:
        blob = data[name]

        def step(n: int, _total: int, base: int = done) -> None:
            if progress:
                progress(base + n, total)

        board.write(f"{target}/{name}", blob, step)
        done += len(blob)
    # Import it as the board will from now on: after a reset (a clean heap; the native
    # code needs one block of its size).
    board.soft_reset()
    version, module, _kernels = board.eval(VERIFY_CODE)  # type: ignore[misc]
    if not str(module).startswith(target + "/"):
        raise EarshotError(
            f"{board.name}: installed into {target}, but the board imports earshot from "
            f"{module} (an earlier copy comes first on sys.path)"
        )
    return InstallResult(arch, target, len(names), total, str(version), str(module))


# ----------------------------------------------------------------------- models

# True where earshot's C module came as a native module (a file: stock firmware), False
# where it is built into the firmware (which keeps models in its own store).
STOCK_CODE = """
import _earshot
print(repr(hasattr(_earshot, '__file__')))
"""


def runs_stock_firmware(board: Board) -> bool:
    """True for a board running stock MicroPython with earshot installed as native
    modules; EarshotError for a board without earshot."""
    try:
        return bool(board.eval(STOCK_CODE))
    except EarshotError as err:
        raise EarshotError(
            f"{board.name}: earshot is not on this board ({err}); "
            "`earshot install --port PORT` puts it on stock MicroPython"
        ) from None


def flash_model(port: str, spec: str, progress: Progress | None = None) -> ModelPlacement:
    """`earshot flash-model SPEC --port PORT` on a board running stock firmware: the model
    (a model of models/, a .esm or a .tflite) put where Model.from_file reads it best."""
    from .infer import resolve_model

    source = resolve_model(spec)
    with connect(port) as board:
        return put_model(board, source.name, source.blob, progress)


@dataclass(frozen=True)
class ModelPlacement:
    path: str  # where the model is on the board (give it to Model.from_file / --model)
    in_place: bool  # True: in the ROMFS partition, read in place from flash
    size: int


def put_model(
    board: Board,
    name: str,
    blob: bytes,
    progress: Progress | None = None,
    romfs: bool | None = None,
) -> ModelPlacement:
    """Put a model file on the board: into its ROMFS partition (with what is there
    already) when it has one and romfs is not False, else into models/NAME.esm beside the
    lib folder of its filesystem (/models on most ports, /flash/models on a pyboard).
    Returns where it went."""
    info = board.info()
    use_rom = info.rom_partitions > 0 if romfs is None else romfs
    if use_rom and not info.rom_partitions:
        raise EarshotError(f"{board.name}: the board has no ROMFS partition (vfs.rom_ioctl)")
    if use_rom:
        return _put_model_romfs(board, name, blob)
    base = (info.lib or "/lib").rsplit("/", 1)[0]
    path = f"{base}/models/{name}.esm"
    free = board.free_bytes(board.existing(base or "/"))
    if free is not None and len(blob) > free:
        raise EarshotError(
            f"{board.name}: no room for {name}: {len(blob):,} bytes, {free:,} free on {base or '/'}"
        )
    board.write(path, blob, progress)
    return ModelPlacement(path, False, len(blob))


def _put_model_romfs(board: Board, name: str, blob: bytes) -> ModelPlacement:
    # Keep what the partition holds, add (or replace) the model, write the partition with
    # mpremote's own ROMFS deployment; the board mounts it again at its next reset.
    files = {
        path.removeprefix("/rom/"): bytes(board.transport.fs_readfile(path, chunk_size=1024))
        for path in board.files("/rom")
    }
    files[f"models/{name}.esm"] = blob
    image = romfs_image(files)
    from mpremote.commands import CommandError, _do_romfs_deploy

    state = types.SimpleNamespace(
        transport=board.transport, ensure_raw_repl=lambda: None, did_action=lambda: None
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "earshot.img"
        path.write_bytes(image)
        args = types.SimpleNamespace(path=str(path), partition=0, mpy=False)
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log):
                _do_romfs_deploy(state, args)
        except (CommandError, SystemExit) as err:
            raise EarshotError(
                f"{board.name}: ROMFS deployment failed: {log.getvalue().strip() or err}"
            ) from None
    return ModelPlacement(f"/rom/models/{name}.esm", True, len(blob))
