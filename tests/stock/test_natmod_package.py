"""The natmod install folders as packages: which folder a board loads (from its
sys.implementation._mpy), mip's package.json read by mpremote's own mip code, and the
ROMFS images of earshot_host.natmod read back by MicroPython's VfsRom."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from mpremote import mip
from stock_support import http_server

from earshot_host.boards import load_boards
from earshot_host.errors import EarshotError
from earshot_host.natmod import (
    ARCHS,
    MPY_ARCH_NAMES,
    built_natmod_dir,
    natmod_arch,
    natmod_for_mpy,
    package_files,
    romfs_image,
)
from earshot_host.paths import project_root

pytestmark = pytest.mark.stock
ROOT = project_root()


def mpy_of(arch_index: int, version: int = 6, sub: int = 3) -> int:
    return version | ((sub | arch_index << 2) << 8)


@pytest.mark.parametrize(
    ("mpy", "arch"),
    [
        (2822, "x64"),  # the stock Unix port's sys.implementation._mpy
        (6918, "armv7m"),  # stock mps2-an385 (Cortex-M3 firmware: armv7em, no FPU)
        (7942, "armv7emsp"),  # stock mps2-an386 with its FPU
        (mpy_of(4), "armv6m"),  # rp2 RP2040, samd SAMD21
        (mpy_of(5), "armv7m"),
        (mpy_of(8), "armv7emsp"),  # Cortex-M7 with a double FPU, single-precision floats
    ],
)
def test_the_board_architecture_chooses_the_folder(mpy, arch):
    assert natmod_for_mpy(mpy) == arch


@pytest.mark.parametrize(
    ("mpy", "bits", "words"),
    [
        (mpy_of(10), 32, "xtensawin"),  # ESP32: no toolchain in Debian or PyPI
        (mpy_of(11), 32, "rv32imc"),
        (mpy_of(3), 32, "armv6"),
        (mpy_of(0), 32, "cannot load native code"),
        (mpy_of(7, sub=2), 32, "6.2"),  # MicroPython 1.20-1.22
        (mpy_of(5, version=5), 32, "5.3"),
        (mpy_of(8), 64, "double-precision"),
    ],
)
def test_boards_no_folder_fits_are_refused_naming_why(mpy, bits, words):
    with pytest.raises(EarshotError, match=words):
        natmod_for_mpy(mpy, bits)


@pytest.fixture(scope="module", params=ARCHS)
def folder(request) -> Path:
    try:
        return built_natmod_dir(request.param, ROOT)
    except EarshotError as err:
        pytest.fail(str(err))


def test_folder_holds_the_module_the_package_and_a_package_json(folder):
    files = package_files(folder)
    package = sorted(
        "earshot/" + p.relative_to(ROOT / "firmware" / "earshot").with_suffix(".mpy").as_posix()
        for p in (ROOT / "firmware" / "earshot").rglob("*.py")
    )
    assert files == sorted(["_earshot.mpy", *package])
    meta = json.loads((folder / "package.json").read_text())
    assert meta["urls"] == [[f, f] for f in files]
    assert meta["version"]


class FakeBoard:
    """The file operations of mpremote's transport, on a dict (what mip writes)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = set()

    def fs_exists(self, path: str) -> bool:
        return path in self.dirs or path in self.files

    def fs_mkdir(self, path: str) -> None:
        self.dirs.add(path)

    def fs_writefile(self, path: str, data: bytes, progress_callback=None) -> None:
        assert path.rsplit("/", 1)[0] in self.dirs
        self.files[path] = bytes(data)


def mip_install(url: str) -> FakeBoard:
    board = FakeBoard()
    with contextlib.redirect_stdout(io.StringIO()):
        mip._install_package(board, url, mip._PACKAGE_INDEX, "/lib", None, True)
    return board


def expected_install(folder: Path) -> dict[str, bytes]:
    return {f"/lib/{f}": (folder / f).read_bytes() for f in package_files(folder)}


def test_mpremote_mip_installs_the_folder_from_a_url(folder):
    """`mpremote mip install http://.../<arch>/package.json`, once the folders are
    published: every file lands in /lib, byte for byte."""
    with http_server(folder.parent) as base:
        board = mip_install(f"{base}/{folder.name}/package.json")
    assert board.files == expected_install(folder)


def test_mpremote_mip_installs_the_folder_from_a_file(folder):
    board = mip_install(str(folder / "package.json"))
    assert board.files == expected_install(folder)


ROMFS_READ = """
import vfs, os
img = open({image!r}, 'rb').read()
vfs.mount(vfs.VfsRom(img), '/rom')
def walk(d):
    for name, kind, *_ in os.ilistdir(d):
        p = d + '/' + name
        if kind & 0x4000:
            walk(p)
        else:
            f = open(p, 'rb')
            m = memoryview(f)
            print(p, len(m), bytes(m).hex() or '-', f.read() == bytes(m))
walk('/rom')
"""


@pytest.mark.kinds("unix")
def test_romfs_images_read_back_by_micropython_with_aligned_data(target, tmp_path):
    """MicroPython's VfsRom (stock Unix port) reads every file of an image made by
    romfs_image, by name and in place (memoryview of the file), whatever the sizes and
    nesting; the host's layout puts every file's data 16-byte aligned."""
    files = {
        "lib/_earshot.mpy": bytes(range(256)) * 3 + b"x",
        "lib/earshot/__init__.mpy": b"",
        "lib/earshot/sources/wav.mpy": b"\x01\x02" * 17,
        "a.esm": bytes(range(7)) * 41,
        "deep/er/and/deeper/f": b"\xff" * 200_000,
    }
    image = romfs_image(files)
    assert len(image) % 2 == 0
    for data in files.values():
        if data:
            assert image.find(data) % 16 == 0
    path = tmp_path / "fs.img"
    path.write_bytes(image)
    out = target.exec(ROMFS_READ.format(image=str(path)))
    seen = {}
    for line in out.split("\n"):
        if line:
            name, size, data, same = line.split(" ")
            assert same == "True"
            seen[name.removeprefix("/rom/")] = bytes.fromhex(data.strip("-"))
            assert int(size) == len(seen[name.removeprefix("/rom/")])
    assert seen == files


STOCK_ROWS = [b for b in load_boards(ROOT).values() if natmod_arch(b)]


@pytest.mark.parametrize("board", STOCK_ROWS, ids=lambda b: b.name)
def test_stock_rows_agree_with_their_folders_and_builds(board):
    """A stock row's firmware is the build its folder's stock.mk names, its QEMU machine
    the one that firmware is built for, and its natmod an architecture the firmware loads
    (sys.implementation._mpy of a Thumb-2 firmware: up to its own)."""
    stock_mk = (ROOT / "boards" / board.name / "stock.mk").read_text()
    build = re.search(r"^STOCK_BUILD = (\S+)", stock_mk, re.M)
    if build is None:  # a row that shares another's firmware includes its stock.mk
        other = re.search(r"boards/(\w+)/stock.mk", stock_mk).group(1)
        stock_mk = (ROOT / "boards" / other / "stock.mk").read_text()
        build = re.search(r"^STOCK_BUILD = (\S+)", stock_mk, re.M)
    assert board.firmware.split("/")[1] == build.group(1)
    if board.kind == "unix":
        assert "VARIANT=standard" in stock_mk and "FROZEN_MANIFEST=" in stock_mk
        assert board.extra["natmod"] == "x64"
        return
    assert "FROZEN_MANIFEST=" in stock_mk  # nothing frozen: no earshot inside
    upstream = re.search(r"^STOCK_ARGS = .*?\bBOARD=(\w+)", stock_mk, re.M).group(1)
    folder = (
        ROOT / "boards" / upstream
        if (ROOT / "boards" / upstream).is_dir()
        else ROOT / "build" / "deps" / "micropython" / "ports" / "qemu" / "boards" / upstream
    )
    mk = (folder / "mpconfigboard.mk").read_text()
    assert re.search(rf"^QEMU_MACHINE = {board.machine}$", mk, re.M)
    core = "cortex-m4" if board.core == "cortex-m4f" else board.core
    assert f"-mcpu={core}" in mk
    firmware_arch = "armv7emsp" if "-mfpu=fpv4-sp-d16" in mk else "armv7em"
    index = MPY_ARCH_NAMES.index
    assert index("armv6m") <= index(board.extra["natmod"]) <= index(firmware_arch)
