"""The tests here run on firmware built with ulab (`make test-ulab`: the Unix port in
build/unix-ulab/ and one QEMU board in build/<board>-ulab/, which EARSHOT_ULAB=1 makes the
`target` fixture run). Without EARSHOT_ULAB they skip, saying how to run them (CI has no
ulab tree); the host-only tests of the ulab build lines run everywhere."""

from __future__ import annotations

import os

import pytest

HOW = "make test-ulab ULAB_DIR=/path/to/micropython-ulab (docs/ULAB.md)"


@pytest.fixture
def ulab_target(target):
    if os.environ.get("EARSHOT_ULAB", "") in ("", "0"):
        pytest.skip(f"the ulab tests run on firmware built with ulab: {HOW}")
    return target
