"""The engine on stock MicroPython (earshot as native modules): every model of models/
bit-exact with LiteRT's reference kernels, from a model file — read into RAM on the Unix
port (`earshot.Model(open(f, 'rb').read())`, the file converted from the model's .tflite
on the host), used in place from the ROMFS image on the QEMU boards."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from stock_support import ROOT, model_expression, run_batch

from earshot_host.catalog import load_catalog
from earshot_host.model_spec import resolve_model
from earshot_host.modelfile import read_model
from earshot_host.natmod import natmod_arch, natmod_dir
from earshot_host.oracle import litert_reference_outputs
from earshot_host.runner.result import RemoteError

pytestmark = pytest.mark.stock
CATALOG = load_catalog()


def random_batch(name: str, shape: tuple[int, ...], rows: int) -> np.ndarray:
    """The int8 extremes, then random rows (seeded by the model's name)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    extremes = np.stack([np.full(shape, -128), np.full(shape, 127)]).astype(np.int8)
    return np.concatenate([extremes, rng.integers(-128, 128, (rows - 2, *shape), np.int8)])


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_model_file_is_bit_exact_with_litert(target, name):
    entry = CATALOG[name]
    if target.board.kind == "unix":
        # The model as `earshot convert` makes it from the .tflite, read from a file.
        source = resolve_model(entry.source_path)
        path = target.runner.upload("model.esm", source.blob)
        expr = f"earshot.Model({path})"
        rows = 20
    else:
        source = resolve_model(name)
        expr = model_expression(target.board, name)
        rows = 4
    batch = random_batch(name, source.input_shapes[0][1:], rows)
    try:
        outputs = run_batch(target, expr, batch)
    except RemoteError as err:
        # On stock firmware the native module's code lives in the heap too: a board may
        # refuse a model only when that code and the arena leave no room (resnet8's 49 KB
        # arena beside ~77 KB of armv6m code in stock_m0's 140 KB), out of memory.
        native = (natmod_dir(natmod_arch(target.board), ROOT) / "_earshot.mpy").stat().st_size
        arena = read_model(source.blob).arena_size
        assert "MemoryError" in str(err), str(err)
        assert target.board.heap_bytes and native + arena > target.board.heap_bytes * 3 // 4
        return
    expected = litert_reference_outputs(entry.source_path, batch)
    np.testing.assert_array_equal(outputs, expected.reshape(outputs.shape))
