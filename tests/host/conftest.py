"""Fixtures for the host tests of the int8 inference engine (helpers live in engine_support).

Makes host_tools importable when the package is not installed (pytest loads this file before
it imports any test module of this folder).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HOST_TOOLS = Path(__file__).resolve().parents[2] / "host_tools"
if str(HOST_TOOLS) not in sys.path:
    sys.path.insert(0, str(HOST_TOOLS))


@pytest.fixture(scope="session")
def micro_speech() -> Any:
    from engine_support import micro_speech_model

    return micro_speech_model()
