"""Installing earshot on a board running stock MicroPython, over the raw REPL: `earshot
install` (earshot_host.stock.install) and `mpremote mip install <url>/package.json`, into
a filesystem mounted at /flash (the stock QEMU boards have no flash filesystem: a
filesystem written in Python, in RAM, stands in for it, through MicroPython's VFS
protocol); the installed copy is the one that imports and runs."""

from __future__ import annotations

import contextlib
import io

import pytest
from mpremote import mip
from stock_support import ROOT, data_path, http_server

from earshot_host.errors import EarshotError
from earshot_host.natmod import built_natmod_dir, natmod_arch, package_files
from earshot_host.stock import Board, install, put_model

pytestmark = [pytest.mark.stock, pytest.mark.kinds("qemu")]

# A RAM filesystem with MicroPython's VFS protocol, mounted at /flash with /flash/lib first
# on sys.path: what a board with flash has after its boot. File data lives in a RAM region
# of the emulated board outside the heap (appended, one file written at a time) and is
# read through io.BytesIO (a stream, as imports need); `capacity` bytes of live files.
RAM_DISK = """
import vfs, sys, io, uctypes
class _Writer:
    def __init__(self, fs, path):
        self.fs, self.path = fs, path
        fs.files[path] = (fs.top, 0)
    def write(self, data):
        fs, n = self.fs, len(data)
        off, size = fs.files[self.path]
        if fs.used() + n > fs.capacity:
            raise OSError(28)
        fs.mem[fs.top:fs.top + n] = data
        fs.top += n
        fs.files[self.path] = (off, size + n)
        return n
    def close(self):
        pass
class RamFS:
    def __init__(self, capacity):
        self.mem = memoryview(uctypes.bytearray_at(0x21800000, 4 << 20))
        self.files, self.dirs, self.capacity, self.top = {}, {''}, capacity, 0
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
    def remove(self, path):
        del self.files[self._p(path)]
    def statvfs(self, path):
        free = (self.capacity - self.used()) // 512
        return (512, 512, self.capacity // 512, free, free, 0, 0, 0, 0, 255)
    def chdir(self, path):
        pass
    def getcwd(self):
        return ''
vfs.mount(RamFS({size}), '/flash')
sys.path.insert(0, '/flash/lib')
"""


def board_with_disk(target, size: int) -> Board:
    """The target's board, freshly reset (ROMFS at /rom), with a RAM disk at /flash."""
    transport = target.runner.fresh_session()
    _, err = transport.exec_raw(RAM_DISK.format(size=size))
    assert not err, err
    return Board(transport, target.name)


RUN_FROM_LIB = """
import earshot
m = earshot.Model.from_file({model!r})
m.invoke()
print(earshot.__file__, len(m.output))
"""


def test_install_copies_the_board_s_architecture_and_imports_it(target):
    board = board_with_disk(target, 96 * 1024)
    folder = built_natmod_dir(natmod_arch(target.board))
    result = install(board)
    assert result.arch == natmod_arch(target.board)
    assert result.target == "/flash/lib"
    assert result.module == "/flash/lib/earshot/__init__.mpy"
    names = package_files(folder)
    on_board = board.files("/flash/lib")
    assert on_board == {f"/flash/lib/{n}": (folder / n).stat().st_size for n in names}
    # The installed copy runs a model (the ROMFS copy comes later on sys.path).
    model = data_path(target.board, "micro_speech.esm")
    out = board.run(RUN_FROM_LIB.format(model=model))
    assert out.split() == ["/flash/lib/earshot/__init__.mpy", "4"]
    # Installing again replaces the files (a folder's worth of room is enough).
    assert install(board).files == len(names)


def test_install_without_room_says_how_much_is_needed(target):
    board = board_with_disk(target, 24 * 1024)
    with pytest.raises(EarshotError, match=r"no room for earshot .*needs [\d,]+ bytes"):
        install(board)
    assert board.files("/flash/lib") == {}  # nothing half-written


def test_mpremote_mip_install_from_a_url_runs(target):
    board = board_with_disk(target, 96 * 1024)
    folder = built_natmod_dir(natmod_arch(target.board))
    with http_server(folder.parent) as base, contextlib.redirect_stdout(io.StringIO()):
        url = f"{base}/{folder.name}/package.json"
        mip._install_package(board.transport, url, mip._PACKAGE_INDEX, "/flash/lib", None, True)
    names = package_files(folder)
    on_board = board.files("/flash/lib")
    assert on_board == {f"/flash/lib/{n}": (folder / n).stat().st_size for n in names}
    out = board.run(RUN_FROM_LIB.format(model=data_path(target.board, "micro_speech.esm")))
    assert out.split()[0] == "/flash/lib/earshot/__init__.mpy"


def test_a_model_put_on_a_board_without_romfs_runs_from_its_file(target):
    """flash-model's way on stock firmware without a ROMFS partition: a file beside lib/,
    read once into RAM by Model.from_file."""
    board = board_with_disk(target, 96 * 1024)
    install(board)
    blob = (ROOT / "models" / "micro_speech" / "micro_speech.esm").read_bytes()
    placed = put_model(board, "micro_speech", blob)
    assert (placed.path, placed.in_place, placed.size) == (
        "/flash/models/micro_speech.esm",
        False,
        len(blob),
    )
    out = board.run(RUN_FROM_LIB.format(model=placed.path))
    assert out.split() == ["/flash/lib/earshot/__init__.mpy", "4"]
    with pytest.raises(EarshotError, match="no ROMFS partition"):
        put_model(board, "micro_speech", blob, romfs=True)
