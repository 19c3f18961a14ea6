"""The streaming wake word models of microWakeWord (okay_nabu, hey_jarvis, vad: resource
variables, CONCATENATION, STRIDED_SLICE, SPLIT_V, LOGISTIC, QUANTIZE to uint8) run on every
target bit-exact with LiteRT's reference kernels over 980 consecutive invocations of real
speech features, the state carried from one invocation to the next (LiteRT invoked row by
row on one interpreter is the oracle)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from earshot_host.convert import convert_tflite
from earshot_host.infer import ModelSource, infer
from earshot_host.oracle import litert_reference_outputs
from earshot_host.runner import RemoteError

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("okay_nabu", "hey_jarvis", "vad")
FEATURES = ROOT / "tests/data/speech/speech_features.npy"  # PROVENANCE.md beside it


def speech_rows() -> np.ndarray:
    frames = np.load(FEATURES)
    count = len(frames) // 3
    return frames[: 3 * count].reshape(count, 1, 3, 40)


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[bytes, bytes, np.ndarray]]:
    """Per model: the .tflite, the converted file and LiteRT's outputs on the stream."""
    rows = speech_rows()
    out = {}
    for name in MODELS:
        tflite = (ROOT / "models" / name / f"{name}.tflite").read_bytes()
        blob = convert_tflite(tflite, name=name).blob
        out[name] = (tflite, blob, litert_reference_outputs(tflite, rows))
    return out


def test_the_stream_exercises_the_models(cases):
    # The oracle's outputs span the range: the wake word fires, the VAD opens and closes.
    okay = cases["okay_nabu"][2].reshape(-1)
    vad = cases["vad"][2].reshape(-1)
    assert len(okay) == 980
    assert okay.dtype == np.uint8
    assert okay.max() == 255 and (okay >= 247).sum() == 14
    assert vad.min() == 0 and vad.max() == 255
    assert cases["hey_jarvis"][2].max() == 219


@pytest.mark.parametrize("name", MODELS)
def test_stateful_model_is_bit_exact_with_litert(target, cases, name):
    tflite, blob, expected = cases[name]
    source = ModelSource(name, False, blob)
    rows = speech_rows()
    try:
        outputs = infer(target.runner, source, rows)
    except RemoteError as err:
        # A board whose heap cannot hold the model and its arena must say so.
        assert re.search(r"MemoryError|needs \d+ bytes", str(err)), str(err)
        assert target.board.heap_bytes and target.board.heap_bytes < 4 * len(blob), str(err)
        pytest.skip(f"{target.board.name}: heap too small for {name} ({err})")
    assert outputs.dtype == np.uint8
    mismatches = int((outputs.reshape(-1) != expected.reshape(-1)).sum())
    assert mismatches == 0, f"{mismatches} of {len(rows)} invocations differ from LiteRT"


def test_reset_restores_the_initial_state(target, cases):
    # Invocations after reset() repeat those of a fresh model; without it they differ.
    blob = cases["vad"][1]
    rows = speech_rows()[40:52]  # speech, where the state matters
    setup = f"import earshot\n_m = earshot.Model({target.runner.upload('vad.esm', blob)})\n"
    run = (
        "def _run():\n"
        "    out = []\n"
        f"    for row in {[bytes(r.tobytes()) for r in rows]!r}:\n"
        "        _m.input[:] = row\n"
        "        _m.invoke()\n"
        "        out.append(_m.output[0] & 255)\n"
        "    return out\n"
        "_a = _run()\n_b = _run()\n_m.reset()\n_c = _run()\n"
        "print(_a == _c, _a == _b, _a)\n"
    )
    result = target.exec(setup + run).split(" ", 2)
    assert result[0] == "True"
    assert result[1] == "False"
    fresh = litert_reference_outputs(cases["vad"][0], rows)
    assert eval(result[2]) == fresh.reshape(-1).tolist()
