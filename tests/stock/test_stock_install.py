"""Installing earshot on a board running stock MicroPython, over the raw REPL (`earshot
install`, earshot_host.stock.install), into a filesystem mounted at /flash (the stock QEMU
boards have no flash filesystem: earshot_host.natmod's RAM filesystem stands in for it);
the installed copy is the one that imports and runs. (What mpremote's mip makes of the
package.json, file by file, is in test_natmod_package.py: on a board it is the same copy,
256 bytes per raw-REPL run.)"""

from __future__ import annotations

import pytest
from stock_support import ROOT

from earshot_host.errors import EarshotError
from earshot_host.natmod import built_natmod_dir, natmod_arch, package_files, ram_fs_code
from earshot_host.stock import Board, install, put_model, runs_stock_firmware

pytestmark = [pytest.mark.stock, pytest.mark.kinds("qemu")]


def board_with_disk(target, size: int) -> Board:
    """The target's board, freshly reset (ROMFS at /rom), with an empty RAM filesystem at
    /flash that it mounts again after each soft reset, as a board does its flash."""

    def reset() -> None:
        board.transport = target.runner.fresh_session()
        board.run(ram_fs_code(target.board, size, fresh=False))

    board = Board(target.runner.fresh_session(), target.name, reset)
    board.run(ram_fs_code(target.board, size))
    return board


RUN_FROM_LIB = """
import earshot
m = earshot.Model.from_file({model!r})
m.invoke()
print(earshot.__file__, len(m.output))
"""


# One install per test session: it moves 64 KB over the emulated UART's raw REPL (tens of
# seconds), the same code for every board but the folder. The board whose firmware's own
# architecture is its natmod's: stock_m3 (armv7em firmware, armv7m folder). (stock_m0 runs
# the same firmware, which install rightly gives the armv7m folder too.)
INSTALL_ARCH = "armv7m"


def install_board(target) -> None:
    if natmod_arch(target.board) != INSTALL_ARCH:
        pytest.skip(f"install is run on the {INSTALL_ARCH} stock board only (one transfer)")


def test_install_copies_the_board_s_architecture_and_a_model_file_runs(target):
    install_board(target)
    board = board_with_disk(target, 128 * 1024)
    folder = built_natmod_dir(natmod_arch(target.board))
    result = install(board)
    assert result.arch == natmod_arch(target.board)
    assert result.target == "/flash/lib"
    assert result.module == "/flash/lib/earshot/__init__.mpy"
    names = package_files(folder)
    on_board = board.files("/flash/lib")
    assert on_board == {f"/flash/lib/{n}": (folder / n).stat().st_size for n in names}
    assert runs_stock_firmware(board)  # what flash-model asks: stock, models are files
    # flash-model's way on stock firmware without a ROMFS partition: a file beside lib/,
    # read once into RAM by Model.from_file; the installed copy runs it (the ROMFS copy
    # of earshot comes later on sys.path).
    blob = (ROOT / "models" / "micro_speech" / "micro_speech.esm").read_bytes()
    placed = put_model(board, "micro_speech", blob)
    assert (placed.path, placed.in_place, placed.size) == (
        "/flash/models/micro_speech.esm",
        False,
        len(blob),
    )
    board.soft_reset()
    out = board.run(RUN_FROM_LIB.format(model=placed.path))
    assert out.split() == ["/flash/lib/earshot/__init__.mpy", "4"]
    with pytest.raises(EarshotError, match="no ROMFS partition"):
        put_model(board, "micro_speech", blob, romfs=True)


def test_install_without_room_says_how_much_is_needed(target):
    install_board(target)
    board = board_with_disk(target, 24 * 1024)
    with pytest.raises(EarshotError, match=r"no room for earshot .*needs [\d,]+ bytes"):
        install(board)
    assert board.files("/flash/lib") == {}  # nothing half-written
