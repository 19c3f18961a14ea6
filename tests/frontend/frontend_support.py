"""Shared data for the front-end tests: model front ends, clips, goldens (tests/data/)."""

from __future__ import annotations

import tomllib
from functools import cache

import numpy as np

from earshot_host.frontend.tables import FrontendTables, build_tables
from earshot_host.frontend.wav import read_wav
from earshot_host.frontend_goldens import CLIPS as GOLDEN_CLIPS
from earshot_host.paths import project_root

ROOT = project_root()
AUDIO_DIR = ROOT / "tests" / "data" / "audio"
GOLDEN_DIR = ROOT / "tests" / "data" / "frontend"
TFLM_REFERENCE_DIR = GOLDEN_DIR / "tflm_reference"
MODEL_OF_KIND = {"tflm_micro": "micro_speech", "mfcc": "mlperf_kws", "logmel": "mlperf_sww"}
CLIPS = GOLDEN_CLIPS  # the clips of tests/data/frontend (frontend_goldens.py)


@cache
def frontend_of(kind: str) -> dict:
    path = ROOT / "models" / MODEL_OF_KIND[kind] / "model.toml"
    return tomllib.loads(path.read_text())["frontend"]


@cache
def tables_of(kind: str) -> FrontendTables:
    return build_tables(frontend_of(kind))


def clip(name: str) -> np.ndarray:
    return read_wav(AUDIO_DIR / f"{name}.wav").samples


def golden(kind: str, name: str, int8: bool = False) -> np.ndarray:
    suffix = "_int8" if int8 else ""
    return np.load(GOLDEN_DIR / f"{kind}_{name}{suffix}.npy")


def agreement(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, int]:
    """(percentage of equal int8 values, max |difference|)."""
    diff = ours.astype(np.int64) - theirs.astype(np.int64)
    return 100.0 * float(np.mean(diff == 0)), int(np.abs(diff).max())
