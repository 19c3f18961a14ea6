"""The device's own Python, imported on the host: the detection rules
(firmware/earshot/detect.py, esphome.py) and the settings checks (settings.py) run under
CPython as they are, so the host checks settings and replays a detector exactly as a
board does (`earshot calibrate`, `earshot evaluate`) with one copy of the code."""

from __future__ import annotations

import importlib
import sys
import types
from types import ModuleType

from .paths import project_root

PACKAGE = "earshot_device"


def device_module(name: str) -> ModuleType:
    """firmware/earshot/<name>.py as the module earshot_device.<name> (its relative
    imports resolve inside the device package; the package's __init__ is not run)."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(project_root() / "firmware" / "earshot")]
        sys.modules[PACKAGE] = package
    return importlib.import_module(f"{PACKAGE}.{name}")
