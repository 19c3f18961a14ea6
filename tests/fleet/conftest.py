"""Fixtures of the fleet tests: a mosquitto broker and a subscriber (fleet_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_support import Subscriber

from earshot_host.fleet.local_broker import LocalBroker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    b = LocalBroker(tmp_path)
    yield b
    b.stop()


@pytest.fixture
def subscriber(broker: LocalBroker) -> Iterator[Subscriber]:
    s = Subscriber(broker)
    yield s
    s.close()
