"""The engine on stock MicroPython (earshot as native modules): every model of models/
bit-exact with LiteRT's reference kernels, from a model file — read into RAM on the Unix
port (`earshot.Model(open(f, 'rb').read())`, the file converted from the model's .tflite
on the host), used in place from the ROMFS image on the QEMU boards."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from stock_support import model_expression, run_batch

from earshot_host.catalog import load_catalog
from earshot_host.model_spec import resolve_model
from earshot_host.oracle import litert_reference_outputs

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
    outputs = run_batch(target, expr, batch)
    expected = litert_reference_outputs(entry.source_path, batch)
    np.testing.assert_array_equal(outputs, expected.reshape(outputs.shape))
