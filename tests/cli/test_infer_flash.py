"""`earshot infer` with a model bigger than the board's heap: it goes into a model slot of
the board's flash and runs in place there, bit-exact with LiteRT (issue 13, item 2).

The transfer is the same code on every board with model slots and takes a minute, so
these tests run on one: qemu_m4 when --targets selects it, else the first selected board
with model slots."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from cli_support import earshot

from earshot_host.boards import Board
from earshot_host.catalog import load_catalog
from earshot_host.model_spec import resolve_model
from earshot_host.modelfile import read_model
from earshot_host.oracle import litert_reference_outputs
from earshot_host.targets import Target, open_target


@pytest.fixture(scope="module")
def slotted(selected: list[Board]) -> Iterator[tuple[Board, Target]]:
    chosen = {b.name: b for b in selected if b.model_slots}
    if not chosen:
        pytest.skip("no selected target has model slots (--targets)")
    board = chosen.get("qemu_m4") or next(iter(chosen.values()))
    with open_target(board) as target:
        yield board, target


def test_a_model_larger_than_the_heap_runs_from_a_flash_slot(slotted):
    board, target = slotted
    tflite = load_catalog()["mlperf_ad01"].source_path
    source = resolve_model(tflite)  # a .tflite: not the frozen copy
    assert not source.frozen and len(source.blob) > board.heap_bytes
    rows = np.random.default_rng(13).integers(-128, 128, size=(40, 640), dtype=np.int8)
    started = time.monotonic()
    outputs = target.infer(source, rows)
    seconds = time.monotonic() - started
    expected = litert_reference_outputs(tflite, rows)
    np.testing.assert_array_equal(outputs, expected.reshape(outputs.shape))
    placed = target.put_model(source)  # already in the active slot: not sent again
    assert placed.where.startswith("slot ")
    assert read_model(source.blob).arena_size < board.heap_bytes
    print(f"{board.name}: {len(source.blob):,} B model + 40 rows in {seconds:.1f} s")


def test_infer_command_on_a_board(slotted, tmp_path):
    # The command end to end: a frozen model, outputs in the model's type.
    board, _ = slotted
    source = resolve_model("micro_speech")
    batch = np.random.default_rng(7).integers(-128, 128, size=(3, 49, 40), dtype=np.int8)
    x, y = str(tmp_path / "x.npy"), str(tmp_path / "y.npy")
    np.save(x, batch)
    proc = earshot("infer", "--target", board.name, "--model", "micro_speech", "--input", x,
                   "--output", y)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = np.load(y)
    expected = litert_reference_outputs(load_catalog()["micro_speech"].source_path, batch)
    assert got.dtype == np.dtype(source.output_dtypes[0])
    np.testing.assert_array_equal(got, expected.reshape(got.shape))
