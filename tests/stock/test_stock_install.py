"""Installing earshot on a board running stock MicroPython, over the raw REPL: `earshot
install` (earshot_host.stock.install) and `mpremote mip install <url>/package.json`, into
a filesystem mounted at /flash (the stock QEMU boards have no flash filesystem:
earshot_host.natmod's RAM filesystem stands in for it); the installed copy is the one that
imports and runs."""

from __future__ import annotations

import contextlib
import io

import pytest
from mpremote import mip
from stock_support import ROOT, data_path, http_server

from earshot_host.errors import EarshotError
from earshot_host.natmod import built_natmod_dir, natmod_arch, package_files, ram_fs_code
from earshot_host.stock import Board, install, put_model

pytestmark = [pytest.mark.stock, pytest.mark.kinds("qemu")]


def board_with_disk(target, size: int) -> Board:
    """The target's board, freshly reset (ROMFS at /rom), with a RAM disk at /flash."""
    board = Board(target.runner.fresh_session(), target.name)
    board.run(ram_fs_code(target.board, size))
    return board


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
