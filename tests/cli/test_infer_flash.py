"""`earshot infer` with a model bigger than the board's heap: it goes into a model slot of
the board's flash and runs in place there, bit-exact with LiteRT (issue 13, item 2)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from cli_support import earshot

from earshot_host.boards import load_boards
from earshot_host.catalog import load_catalog
from earshot_host.infer import resolve_model
from earshot_host.modelfile import read_model
from earshot_host.oracle import litert_reference_outputs

pytestmark = pytest.mark.kinds("qemu")


def test_a_model_larger_than_the_heap_runs_from_a_flash_slot(target, tmp_path):
    board = load_boards()[target.name]
    if not board.model_slots:
        pytest.skip(f"{target.name} has no model slots (docs/MODEL_STORE.md)")
    tflite = load_catalog()["mlperf_ad01"].source_path
    source = resolve_model(tflite)  # a .tflite: not the frozen copy
    assert not source.frozen and len(source.blob) > board.heap_bytes
    rows = np.random.default_rng(13).integers(-128, 128, size=(40, 640), dtype=np.int8)
    started = time.monotonic()
    outputs = target.runner.infer(source, rows)
    seconds = time.monotonic() - started
    np.testing.assert_array_equal(
        outputs, litert_reference_outputs(tflite, rows).reshape(outputs.shape)
    )
    placed = target.runner.put_model(source)  # already in the active slot: not sent again
    assert placed.where.startswith("slot ")
    assert read_model(source.blob).arena_size < board.heap_bytes
    print(f"{target.name}: {len(source.blob):,} B model + 40 rows in {seconds:.1f} s")


def test_infer_command_on_a_board(target, tmp_path):
    # The command end to end: a frozen model, outputs in the model's type.
    source = resolve_model("micro_speech")
    batch = np.random.default_rng(7).integers(-128, 128, size=(3, 49, 40), dtype=np.int8)
    np.save(tmp_path / "x.npy", batch)
    x, y = str(tmp_path / "x.npy"), str(tmp_path / "y.npy")
    proc = earshot("infer", "--target", target.name, "--model", "micro_speech", "--input", x,
                   "--output", y)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = np.load(tmp_path / "y.npy")
    expected = litert_reference_outputs(load_catalog()["micro_speech"].source_path, batch)
    assert got.dtype == np.dtype(source.output_dtypes[0])
    np.testing.assert_array_equal(got, expected.reshape(got.shape))
