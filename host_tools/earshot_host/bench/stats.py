"""Repeated counts summarised: median and relative spread."""

from __future__ import annotations

from statistics import median
from typing import Any

# Repeated counts of a deterministic measurement must agree within this.
MAX_SPREAD = 0.01


def spread(runs: list[float]) -> float:
    """(max - min) / median; 0 for a single run."""
    mid = median(runs)
    return (max(runs) - min(runs)) / mid if mid else 0.0


def summary(runs: list[float]) -> dict[str, Any]:
    """{"median", "runs", "spread"} of repeated counts (rounded to whole instructions)."""
    return {
        "median": round(median(runs)),
        "runs": [round(r) for r in runs],
        "spread": round(spread(runs), 6),
    }
