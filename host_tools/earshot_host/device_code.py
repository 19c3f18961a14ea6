"""The device's own Python, imported on the host: the detection rules
(firmware/earshot/detect.py, esphome.py) and the settings checks (settings.py) run under
CPython as they are, so the host checks settings and replays a detector exactly as a
board does (`earshot calibrate`, `earshot evaluate`) with one copy of the code."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from types import ModuleType

PACKAGE = "earshot_device"
# The device package of this checkout (beside host_tools/; EARSHOT_ROOT, the data root, may
# point elsewhere).
DEVICE_DIR = Path(__file__).resolve().parents[2] / "firmware" / "earshot"


def device_module(name: str) -> ModuleType:
    """firmware/earshot/<name>.py as the module earshot_device.<name> (its relative
    imports resolve inside the device package; the package's __init__ is not run)."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(DEVICE_DIR)]
        sys.modules[PACKAGE] = package
    return importlib.import_module(f"{PACKAGE}.{name}")
