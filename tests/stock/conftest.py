"""Stock MicroPython targets (rows of boards/boards.toml with a `natmod` column): the
pinned MicroPython built as it ships (`make stock`), earshot loaded as native modules
(`make natmod`). The test modules of this folder are marked `stock`: their `target`
fixture runs them on the selected stock targets (`--targets`) and on no other. QEMU
boards get their files on a ROMFS image (lib/ = build/natmod/<arch>, plus the data of
stock_support at the top) mounted at /rom; the Unix port reads the same data from its
folder.
"""

from __future__ import annotations

import pytest
from stock_support import ROOT, write_data

from earshot_host.boards import load_boards
from earshot_host.natmod import natmod_arch, stock_data_dir


@pytest.fixture(scope="session", autouse=True)
def stock_data() -> None:
    """The data files of every stock board, before a board starts (its ROMFS image is
    made when QEMU starts)."""
    for board in load_boards(ROOT).values():
        if natmod_arch(board):
            write_data(stock_data_dir(board, ROOT))
