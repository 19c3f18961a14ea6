"""The optimized front-end stages compiled for bare-metal Cortex-M cores (the stage harness
of earshot_host.bench.frontend_stages: the real dsp/ sources, okay_nabu's tables, no
MicroPython) equal the host reference frame for frame, raw uint16 and int8, on audio that
reaches their edge cases: silence (the largest block shift), a full-scale square wave
(loud bins: 64-bit filterbank sums and square roots, the log's cap), full-scale noise,
speech and quiet noise, one after the other (noise estimates carried across).

Cores and placements: the Cortex-M0+ in rp2040js and the Cortex-M0 instruction set on
QEMU, with the model 1 or 2 bytes off alignment (ARMv6-M copies the misaligned tables
into the front end's state), or in a build with a small heap (MICROPY_HEAP_SIZE below
64 KiB: the tables stay, the stages they feed take the reference), or aligned; the
Cortex-M4 with the model off alignment (its loads take any address). The firmware tests
(tests/firmware/test_frontend*.py) run the same stages inside MicroPython on every board;
this one reaches the placements and the core (the RP2040's) that those cannot."""

from functools import cache

import numpy as np
import pytest

from earshot_host.bench.frontend_stages import verify
from earshot_host.errors import EarshotError
from earshot_host.features import model_frontend
from earshot_host.frontend.wav import read_wav
from earshot_host.model_spec import resolve_model
from earshot_host.paths import project_root

AUDIO = project_root() / "tests" / "data" / "audio"
SEGMENT = 1600  # samples (0.1 s) of each part


@cache
def frontend():
    return model_frontend(resolve_model("okay_nabu"))


@cache
def edge_audio() -> np.ndarray:
    def clip(name: str, start: int = 0) -> np.ndarray:
        return read_wav(AUDIO / f"{name}.wav").samples[start : start + SEGMENT]

    square = np.where((np.arange(SEGMENT) // 8) % 2 == 0, 32767, -32768).astype(np.int16)
    parts = [
        clip("silence_1000ms"),
        square,
        clip("white_full_scale_1000ms"),
        clip("yes_1000ms", 4800),
        clip("white_m50dbfs_1000ms"),
        clip("chirp_1000ms", 8000),
    ]
    return np.concatenate(parts).astype(np.int16)


CASES = [
    ("m0plus", 1, ()),
    ("m0", 2, ()),
    ("m0", 1, ("MICROPY_HEAP_SIZE=20480",)),
    ("m0", 0, ("MICROPY_HEAP_SIZE=20480",)),
    ("m4", 1, ()),
]


@pytest.mark.parametrize(("core", "misalign", "defines"), CASES)
def test_stages_equal_reference_on_bare_metal(core, misalign, defines):
    fe = frontend()
    audio = edge_audio()
    try:
        frames = verify(core, fe, audio, misalign, defines)
    except EarshotError as err:
        if str(err).startswith("needs "):
            pytest.skip(f"{err} (the stage harness runs on it)")
        raise
    assert frames == (len(audio) - fe.window) // fe.hop + 1
