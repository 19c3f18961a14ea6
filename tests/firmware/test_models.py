"""Every model of models/, frozen into the firmware, is bit-exact with LiteRT's reference
kernels on every target whose RAM holds its arena."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

from earshot_host.catalog import load_catalog
from earshot_host.infer import infer
from earshot_host.model_spec import resolve_model
from earshot_host.modelfile import read_model
from earshot_host.oracle import litert_reference_outputs
from earshot_host.runner import RemoteError

CATALOG = load_catalog()
BATCH = 20


def random_batch(name: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    batch = rng.integers(-128, 128, size=(BATCH, *shape), dtype=np.int8)
    batch[0] = -128  # the extremes too
    batch[1] = 127
    return batch


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_frozen_model_is_bit_exact_with_litert(target, name):
    entry = CATALOG[name]
    source = resolve_model(name)
    arena = read_model(source.blob).arena_size
    batch = random_batch(name, source.input_shapes[0][1:])
    try:
        outputs = infer(target.runner, source, batch)
    except RemoteError as err:
        # Only a board whose heap cannot hold the arena with room to spare (more than half
        # of it) may refuse, and it must say so: the bytes needed and free, or out of memory.
        # A model the board neither freezes nor has a flash slot for is uploaded into the
        # heap: there its bytes must fit too (qemu_m0 freezes micro_speech only).
        heap = target.board.heap_bytes
        uploaded = not target.board.model_slots and len(source.blob) > heap // 2
        assert heap and (arena > heap // 2 or uploaded), str(err)
        match = re.search(r"needs (\d+) bytes of arena.*?(\d+) (?:bytes )?free", str(err))
        if match:
            assert int(match.group(1)) == arena
            # More than is free, or more than the largest free block (and it says so).
            fragmented = "in pieces, no block that large" in str(err)
            assert int(match.group(1)) > int(match.group(2)) or fragmented, str(err)
        else:
            assert "MemoryError" in str(err), str(err)
        return
    expected = litert_reference_outputs(entry.source_path, batch)
    np.testing.assert_array_equal(outputs, expected.reshape(outputs.shape))
