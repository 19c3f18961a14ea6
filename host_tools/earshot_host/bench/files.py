"""Where bench.json lives: build/bench.json (the last `make bench`), else the committed
snapshot docs/bench.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import EarshotError
from ..paths import project_root


def bench_paths(root: Path | None = None) -> tuple[Path, Path]:
    root = root or project_root()
    return root / "build" / "bench.json", root / "docs" / "bench.json"


def load_bench(root: Path | None = None) -> dict[str, Any]:
    """The newest benchmark figures available (build/, else docs/)."""
    for path in bench_paths(root):
        if path.is_file():
            try:
                data: dict[str, Any] = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                raise EarshotError(f"cannot read {path}: {err}") from err
            return data
    raise EarshotError("no build/bench.json or docs/bench.json: run `make bench`")
