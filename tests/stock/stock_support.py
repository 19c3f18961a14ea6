"""Helpers of the stock MicroPython tests: the data the boards read, and where."""

from __future__ import annotations

from pathlib import Path

from earshot_host.boards import Board
from earshot_host.catalog import load_catalog
from earshot_host.natmod import stock_data_dir
from earshot_host.paths import project_root
from earshot_host.scenes import DEMO, DEMO_DURATION_MS, compose, write_scene

ROOT = project_root()
# The demo scene of `make run` (18 s of yes/no between quiet and noise).
SCENE = "scene.wav"


def write_data(folder: Path) -> None:
    """Every model of models/ as NAME.esm, and the scene, as files of folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, entry in load_catalog().items():
        target = folder / f"{name}.esm"
        data = entry.model_path.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    wav = folder / SCENE
    if not wav.is_file():
        write_scene(wav, compose(DEMO, DEMO_DURATION_MS)).unlink()


def data_path(board: Board, name: str) -> str:
    """Where a snippet on the board finds a data file (a model's .esm, the scene)."""
    if board.kind == "unix":
        return str(stock_data_dir(board, ROOT) / name)
    return f"/rom/{name}"
