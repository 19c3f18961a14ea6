"""The committed speech streams (tests/data/wakeword/, made by earshot_host.wakeword_streams)
and what the reference pipeline detects in them."""

from __future__ import annotations

import json
from functools import cache

from earshot_host.frontend.wav import read_wav
from earshot_host.paths import project_root
from earshot_host.wakeword_oracle import OracleRun, run_oracle

ROOT = project_root()
STREAMS_DIR = ROOT / "tests" / "data" / "wakeword"
STREAMS = sorted(p.stem for p in STREAMS_DIR.glob("*.wav"))
MODELS = ("okay_nabu", "hey_jarvis")


def manifest(model: str):
    return ROOT / "models" / model / f"{model}.json"


@cache
def samples(stream: str):
    return read_wav(STREAMS_DIR / f"{stream}.wav").samples


@cache
def truth(stream: str) -> dict:
    return json.loads((STREAMS_DIR / f"{stream}.json").read_text())


@cache
def oracle(model: str, stream: str) -> OracleRun:
    return run_oracle(manifest(model), samples(stream))
