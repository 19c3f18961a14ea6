"""Audio features on a target: a WAV streamed hop by hop through the model's front end.

The target runs ``earshot.Frontend`` (the C front end, tables from the model file) and
sends back the int8 frames exactly as the model receives them; ``reference_features``
computes the same frames on the host with the fixed-point reference pipelines of
``earshot_host.frontend`` and the very tables of the model file.

A stream delivers whole hops: samples after the last whole hop are not used, and the first
frame comes with the hop that completes the first window (TF framing: frames =
1 + (hops * hop - window) // hop).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .convert.frontend_tables import frontend_tables_of
from .errors import EarshotError
from .frontend.logmel import logmel_fixed
from .frontend.mfcc import clip_gain, mfcc_fixed
from .frontend.tables import FrontendTables, logmel_gain_constants, mfcc_gain_constants
from .frontend.tflm_micro import raw_to_int8, tflm_micro_features
from .frontend.wav import WavFormatError, read_wav
from .infer import BatchTarget
from .model_spec import ModelSource
from .modelfile import read_model
from .runner.result import Progress, b64_literal


@dataclass(frozen=True)
class ModelFrontend:
    """A model with a front end: where the target finds it, and its tables."""

    source: ModelSource
    tables: FrontendTables
    frames: int  # frames per model input (0 if the recipe does not say)

    @property
    def kind(self) -> str:
        return self.tables.kind

    @property
    def hop(self) -> int:
        return int(self.tables.scalars["window_step"])

    @property
    def window(self) -> int:
        return int(self.tables.scalars["window_size"])

    @property
    def sample_rate(self) -> int:
        return int(self.tables.scalars["sample_rate"])

    @property
    def features(self) -> int:
        s = self.tables.scalars
        return int(s["coefficients"] if self.kind == "mfcc" else s["channels"])


def model_frontend(source: ModelSource) -> ModelFrontend:
    """The front end a model file carries; EarshotError if it has none."""
    metadata = read_model(source.blob).metadata
    frontend = metadata.get("frontend")
    if not frontend or "tables" not in frontend:
        raise EarshotError(f"model {source.name} has no audio front end")
    tables = frontend_tables_of(source.blob, metadata)
    return ModelFrontend(source, tables, int(frontend.get("frames", 0)))


def read_samples(path: str | Path, sample_rate: int | None = None) -> np.ndarray:
    """int16 mono samples of a PCM16 WAV (stereo mixed as wav.read_wav does)."""
    try:
        wav = read_wav(path)
    except WavFormatError as err:
        raise EarshotError(str(err)) from err
    except OSError as err:
        raise EarshotError(f"cannot read {path}: {err.strerror}") from err
    if sample_rate is not None and wav.sample_rate != sample_rate:
        raise EarshotError(
            f"{path}: {wav.sample_rate} Hz audio, the front end expects {sample_rate} Hz"
        )
    return wav.samples


def gain_constants(fe: ModelFrontend, gain: float) -> tuple[int, int]:
    """(log_offset_q16, eps_q) of an int16 -> float input gain (mfcc / logmel)."""
    size = int(fe.tables.scalars["fft_size"])
    if fe.kind == "mfcc":
        c = mfcc_gain_constants(size, gain)
        return c["log_offset_q16"], c["eps_q"]
    if fe.kind == "logmel":
        return logmel_gain_constants(size, fe.window, gain)["log_offset_q16"], 0
    raise EarshotError("tflm_micro has no input gain")


def whole_hops(fe: ModelFrontend, samples: np.ndarray) -> np.ndarray:
    return np.asarray(samples, dtype=np.int16)[: len(samples) // fe.hop * fe.hop]


def reference_features(
    fe: ModelFrontend, samples: np.ndarray, gain: float | None = None, raw: bool = False
) -> np.ndarray:
    """Host fixed-point frames of the stream: (frames, features) int8 (tflm_micro with
    raw=True: the uint16 values before the int8 mapping)."""
    x = whole_hops(fe, samples)
    if len(x) < fe.window:
        return np.zeros((0, fe.features), dtype=np.uint16 if raw else np.int8)
    if fe.kind == "tflm_micro":
        values = tflm_micro_features(x, fe.tables)
        return values if raw else raw_to_int8(values, fe.tables)
    if raw:
        raise EarshotError("raw values are for tflm_micro only")
    if fe.kind == "mfcc":
        return mfcc_fixed(x, fe.tables, gain)
    return logmel_fixed(x, fe.tables, gain)


# Target side: process every whole hop of a chunk, one hex line per frame.
_SETUP = """
import earshot, binascii
_fe = earshot.Frontend({model})
{gain}_out = bytearray(_fe.features)
_raw = {raw}
def _hops(data):
    mv = memoryview(data)
    step = 2 * _fe.hop
    for i in range(0, len(mv) - step + 1, step):
        if _fe.process(mv[i:i + step], _out, _raw):
            print(binascii.hexlify(_out).decode(), binascii.hexlify(_raw or b'-').decode())
"""


def device_features(
    target: BatchTarget,
    fe: ModelFrontend,
    samples: np.ndarray,
    gain: float | None = None,
    progress: Progress | None = None,
    timeout: float = 600.0,
) -> np.ndarray:
    """Stream the samples to the target hop by hop; its int8 frames (frames, features)."""
    return device_frames(target, fe, samples, gain, progress, timeout)[0]


def device_frames(
    target: BatchTarget,
    fe: ModelFrontend,
    samples: np.ndarray,
    gain: float | None = None,
    progress: Progress | None = None,
    timeout: float = 600.0,
    raw: bool = False,
    model_expr: str | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(int8 frames, raw uint16 frames or None): the stream through the target's front end.

    raw (tflm_micro): also the uint16 values before the int8 mapping (TF's output), from
    the same pass (Frontend.process(hop, out, raw)). model_expr: the expression that gives
    the model there, if not the frozen model or an upload of its bytes (e.g. a file)."""
    if raw and fe.kind != "tflm_micro":
        raise EarshotError("raw values are for tflm_micro only")
    x = whole_hops(fe, samples)
    data = x.astype("<i2").tobytes()
    gain_code = ""
    if gain is not None:
        offset, eps = gain_constants(fe, gain)
        gain_code = (
            f"_fe.set_gain({offset}, {eps})\n"
            if fe.kind == "mfcc"
            else (f"_fe.set_gain({offset})\n")
        )
    # The model's bytes, without an arena: small boards hold the front end only.
    if model_expr:
        target.run("pass").check()  # a fresh session
        model = model_expr
    else:
        model = target.put_model(fe.source).buffer
    raw_code = "bytearray(2 * _fe.channels)" if raw else "None"
    setup = _SETUP.format(model=model, gain=gain_code, raw=raw_code)
    lines: list[str] = []
    if not target.keeps_state:
        # One process: the samples as a file, read and streamed in one script.
        expr = target.upload("samples.pcm", data)
        out = target.run(setup + f"_hops({expr})\n", timeout).check()
        lines = out.splitlines()
        if progress:
            progress(len(data), len(data))
    else:
        target.run(setup, timeout, soft_reset=False).check()
        step = 2 * fe.hop
        chunk = max(1, target.chunk // step) * step
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            out = target.run(f"_hops({b64_literal(piece)})", timeout, soft_reset=False).check()
            lines += out.splitlines()
            if progress:
                progress(start + len(piece), len(data))
    rows = [line.split() for line in lines if line.strip()]
    expected = 1 + (len(x) - fe.window) // fe.hop if len(x) >= fe.window else 0
    frames = [np.frombuffer(binascii.unhexlify(r[0]), dtype=np.int8) for r in rows]
    if len(frames) != expected or any(len(f) != fe.features for f in frames):
        raise EarshotError(
            f"{target.name}: expected {expected} frames of {fe.features}, got {len(frames)}"
        )
    q = np.stack(frames) if frames else np.zeros((0, fe.features), dtype=np.int8)
    if not raw:
        return q, None
    values = [np.frombuffer(binascii.unhexlify(r[1]), dtype="<u2") for r in rows]
    v = np.stack(values).astype(np.uint16) if values else np.zeros((0, fe.features), np.uint16)
    return q, v


def prepare_features(
    source: ModelSource, wav: str | Path, clip_normalize: bool = False
) -> tuple[ModelFrontend, np.ndarray, float | None]:
    """(front end, samples, gain) for `earshot features`, every user error checked.

    clip_normalize (mfcc): the gain 1/max(x) of MLPerf KWS training instead of the
    front end's fixed gain (1/32768).
    """
    fe = model_frontend(source)
    samples = read_samples(wav, fe.sample_rate)
    if len(whole_hops(fe, samples)) < fe.window:
        raise EarshotError(
            f"{wav}: {len(samples)} samples, the front end needs at least {fe.window}"
        )
    gain = None
    if clip_normalize:
        if fe.kind != "mfcc":
            raise EarshotError(f"--clip-gain is for mfcc front ends; {source.name} is {fe.kind}")
        try:
            gain = clip_gain(whole_hops(fe, samples))
        except ValueError as err:
            raise EarshotError(f"{wav}: {err}") from err
    return fe, samples, gain


def wav_features(
    target: BatchTarget,
    source: ModelSource,
    wav: str | Path,
    clip_normalize: bool = False,
    progress: Progress | None = None,
) -> np.ndarray:
    """The model's int8 input frames for a WAV, computed on the target."""
    fe, samples, gain = prepare_features(source, wav, clip_normalize)
    return device_features(target, fe, samples, gain, progress)
