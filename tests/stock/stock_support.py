"""Helpers of the stock MicroPython tests: the data the boards read, and where."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from earshot_host.boards import Board
from earshot_host.catalog import load_catalog
from earshot_host.natmod import stock_data_dir
from earshot_host.paths import project_root
from earshot_host.runner.result import b64_literal
from earshot_host.scenes import DEMO, DEMO_DURATION_MS, compose, write_scene

ROOT = project_root()
# The demo scene of `make run` (yes/no between quiet and noise), with 6 s more of quiet
# noise: 1,200 hops of micro_speech.
SCENE = "scene.wav"
SCENE_MS = DEMO_DURATION_MS + 6_000


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
        write_scene(wav, compose(DEMO, SCENE_MS)).unlink()


def data_path(board: Board, name: str) -> str:
    """Where a snippet on the board finds a data file (a model's .esm, the scene)."""
    if board.kind == "unix":
        return str(stock_data_dir(board, ROOT) / name)
    return f"/rom/{name}"


def model_expression(board: Board, name: str) -> str:
    """A Model of a data file: read into RAM on the Unix port (`earshot.Model(open(...)
    .read())`), in place from the ROMFS image on QEMU boards (Model.from_file)."""
    path = data_path(board, f"{name}.esm")
    if board.kind == "unix":
        return f"earshot.Model(open({path!r}, 'rb').read())"
    return f"earshot.Model.from_file({path!r})"


def run_batch(target, model_expr: str, batch: np.ndarray) -> np.ndarray:
    """Outputs of every input row of batch on the model that model_expr makes there (one
    session: setup once, then a row per run on boards that keep state)."""
    setup = (
        "import earshot, binascii, gc\n"
        f"_m = {model_expr}\n"
        "def _row(data):\n"
        "    _m.input[:] = data\n"
        "    _m.invoke()\n"
        "    print(binascii.hexlify(_m.output).decode())\n"
    )
    rows = [f"_row({b64_literal(row.tobytes())})\n" for row in batch.reshape(len(batch), -1)]
    if target.runner.keeps_state:
        target.runner.run(setup, 120).check()
        out = "".join(target.runner.run(r, 300, soft_reset=False).check() for r in rows)
    else:
        out = target.exec(setup + "".join(rows), timeout=300)
    lines = [bytes.fromhex(x) for x in out.split() if x]
    return np.stack([np.frombuffer(x, dtype=np.int8) for x in lines])


@contextlib.contextmanager
def http_server(directory: Path) -> Iterator[str]:
    """An HTTP server on loopback serving directory (as a release would publish it)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
