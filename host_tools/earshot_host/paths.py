"""Where the earshot checkout lives: board table, build outputs, models."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The earshot checkout (EARSHOT_ROOT overrides; by default the folder above host_tools/)."""
    env = os.environ.get("EARSHOT_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]
