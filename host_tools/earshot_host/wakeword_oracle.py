"""The wake-word reference pipeline: what ESPHome would detect in a stream, on the host.

Written from the three parts ESPHome runs (SOURCES.md of microWakeWord), each taken from
its own oracle, none from earshot's device code:

1. features: TensorFlow's ``audio_microfrontend`` at the manifest's step (30 ms window,
   40 channels) mapped to int8 as ESPHome does. The host port ``frontend.tflm_micro`` is
   used: tests/frontend/test_tflm_micro_10ms.py proves it equal to the TF op's output on
   every golden clip (tests/data/frontend/tflm_micro_10ms_*), so TensorFlow is not needed
   at test time;
2. the model: LiteRT (``ai-edge-litert``, BUILTIN_REF kernels), one invocation per
   ``stride`` new frames (the input's height: 3 for v2 models), frames in the order they
   came, the model's resource variables carried from one invocation to the next;
3. the decision: ESPHome's rule (EsphomeRule below): the cutoff as uint8
   ``int(probability_cutoff * 255)``; after every feature frame, a detection when the
   hold-off counter is >= 0 and the sum of the last ``sliding_window_size`` uint8 outputs
   exceeds cutoff_u8 x window; the counter starts at -100 and returns there after a
   detection (the recent outputs are then cleared), and counts up by one (to at most 0)
   for every feature frame whose latest output is below the cutoff.

A detection at feature frame k (0-based) is reported at the audio time that frame ends,
``window_ms + k * step_ms`` — earshot's ``t_ms`` for the hop that completes the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .esphome_manifest import WakeWordManifest, read_manifest, recipe
from .frontend.tables import build_tables
from .frontend.tflm_micro import raw_to_int8, tflm_micro_features
from .oracle import litert_reference_outputs


class EsphomeRule:
    """ESPHome's detection rule, one feature frame at a time (see the module's doc)."""

    def __init__(self, cutoff: float, window: int, holdoff: int = 100) -> None:
        self.cutoff_u8 = int(cutoff * 255)
        self.window = window
        self.holdoff = holdoff
        self.recent = [0] * window
        self.at = 0
        self.latest = 0
        self.counter = -holdoff

    def frame(self, output: int | None) -> bool:
        """One feature frame; output: the model's uint8 output if it ran on this frame."""
        if output is not None:
            self.at = (self.at + 1) % self.window
            self.recent[self.at] = output
            self.latest = output
        if self.latest < self.cutoff_u8:
            self.counter = min(self.counter + 1, 0)
        if self.counter >= 0 and sum(self.recent) > self.cutoff_u8 * self.window:
            self.counter = -self.holdoff
            self.recent = [0] * self.window
            return True
        return False


@dataclass(frozen=True)
class Detection:
    t_ms: int
    frame: int
    label: str


@dataclass
class OracleRun:
    """Everything the reference pipeline computed for one stream."""

    features: np.ndarray  # (frames, 40) int8
    scores: np.ndarray  # (inferences,) uint8: the model's output per invocation
    detections: list[Detection] = field(default_factory=list)
    stride: int = 3
    step_ms: int = 10
    window_ms: int = 30

    @property
    def inferences(self) -> int:
        return len(self.scores)


def stream_features(manifest: WakeWordManifest, samples: np.ndarray) -> np.ndarray:
    """int8 (frames, 40) features of a stream, as the TF op + ESPHome's int8 map give them."""
    frontend = recipe(manifest, manifest.model_path.read_bytes())["frontend"]
    tables = build_tables(frontend)
    return raw_to_int8(tflm_micro_features(np.asarray(samples, np.int16), tables), tables)


def run_oracle(spec: str | Path | WakeWordManifest, samples: np.ndarray) -> OracleRun:
    """The reference pipeline over a whole stream (16 kHz int16 samples)."""
    manifest = spec if isinstance(spec, WakeWordManifest) else read_manifest(spec)
    tflite = manifest.model_path.read_bytes()
    r = recipe(manifest, tflite)
    stride = int(r["streaming"]["hops_per_inference"])
    features = stream_features(manifest, samples)
    groups = len(features) // stride
    batch = features[: groups * stride].reshape(groups, 1, stride, features.shape[1])
    scores = (
        litert_reference_outputs(tflite, batch).reshape(groups).astype(np.uint8)
        if groups
        else np.zeros(0, np.uint8)
    )
    rule = EsphomeRule(manifest.probability_cutoff, manifest.sliding_window)
    run = OracleRun(features, scores, stride=stride, step_ms=manifest.feature_step_ms)
    for k in range(len(features)):
        ran = (k + 1) % stride == 0 and (k + 1) // stride <= groups
        if rule.frame(int(scores[(k + 1) // stride - 1]) if ran else None):
            t_ms = r["frontend"]["window_ms"] + k * manifest.feature_step_ms
            run.detections.append(Detection(t_ms, k, manifest.wake_word))
    return run


class _Stateful:
    """A LiteRT interpreter of a stateful model, invoked one input at a time."""

    def __init__(self, tflite: bytes) -> None:
        self.tflite = tflite
        self.reset()

    def reset(self) -> None:
        # A new interpreter: its CALL_ONCE initialises the resource variables afresh.
        from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: PLC0415

        self.interpreter = Interpreter(
            model_content=self.tflite,
            experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        )
        self.interpreter.allocate_tensors()
        (self.inp,) = self.interpreter.get_input_details()
        (self.out,) = self.interpreter.get_output_details()

    def __call__(self, frames: np.ndarray) -> int:
        self.interpreter.set_tensor(self.inp["index"], frames.reshape(self.inp["shape"]))
        self.interpreter.invoke()
        return int(self.interpreter.get_tensor(self.out["index"]).reshape(-1)[0])


@dataclass
class CascadeRun:
    """A wake-word model behind a gate: what ran and what was detected."""

    detections: list[Detection]
    wake_inferences: int  # invocations of the wake-word model (replays included)
    gate_inferences: int  # invocations of the VAD model (0 for the energy gate)
    frames: int
    opened: int  # times the gate opened
    scores: list[tuple[int, int]] = field(default_factory=list)  # (frame, output) run when due


def run_cascade(
    wake: str | Path,
    samples: np.ndarray,
    gate: str | Path | None = None,
    *,
    energy_dbfs: float | None = None,
    hangover_frames: int = 50,
    replay_frames: int = 60,
) -> CascadeRun:
    """The wake-word model behind a gate, as earshot's device cascade runs it
    (firmware/earshot/cascade.py): the gate is the VAD model of ``gate`` (a manifest; it
    runs on every stride of frames and says speech while its latest output is >= its
    cutoff) or the energy gate (a 10 ms hop whose RMS reaches ``energy_dbfs``), held open
    ``hangover_frames`` after the last speech. The wake-word model's invocations stay on
    their stride; one falls due while the gate is closed is skipped, and the rule sees an
    output of 0 for it. The first due invocation after the gate opens resets the model to
    its initial state and first replays the groups of the last ``replay_frames`` frames
    (kept in a ring), so that its streaming state holds the speech's onset."""
    manifest = read_manifest(wake)
    r = recipe(manifest, manifest.model_path.read_bytes())
    stride = int(r["streaming"]["hops_per_inference"])
    step = manifest.feature_step_ms
    rate = int(r["frontend"]["sample_rate"])
    features = stream_features(manifest, samples)
    model = _Stateful(manifest.model_path.read_bytes())
    vad = vad_cutoff = None
    if gate is not None:
        vad_manifest = read_manifest(gate)
        vad = _Stateful(vad_manifest.model_path.read_bytes())
        vad_cutoff = int(vad_manifest.probability_cutoff * 255)
    hop = rate * step // 1000
    window = rate * int(r["frontend"]["window_ms"]) // 1000
    # The device's gate_level(dbfs) (stream.py): a full-scale sine's mean square at dbfs.
    level = int(536870912 * 10 ** (energy_dbfs / 10)) if energy_dbfs is not None else None
    rule = EsphomeRule(manifest.probability_cutoff, manifest.sliding_window)
    run = CascadeRun([], 0, 0, len(features), 0)
    open_left = 0
    was_open = False
    vad_latest = 0
    groups = replay_frames // stride
    for k in range(len(features)):
        due = (k + 1) % stride == 0
        if vad is not None:
            if due:
                vad_latest = vad(features[k + 1 - stride : k + 1])
                run.gate_inferences += 1
            speech = vad_latest >= vad_cutoff
        elif level is not None:
            end = window + k * hop
            chunk = np.asarray(samples[end - hop : end], dtype=np.int64)
            speech = int(np.sum(chunk * chunk)) // hop >= level
        else:
            speech = True
        open_left = hangover_frames if speech else max(open_left - 1, 0)
        output = None
        if due:
            if open_left:
                if not was_open:
                    run.opened += 1
                    model.reset()
                    for g in range(groups, 0, -1):
                        first = k + 1 - stride * (g + 1)
                        if first >= 0:
                            model(features[first : first + stride])
                            run.wake_inferences += 1
                output = model(features[k + 1 - stride : k + 1])
                run.wake_inferences += 1
                run.scores.append((k, output))
            else:
                output = 0
            was_open = bool(open_left)
        if rule.frame(output):
            t_ms = int(r["frontend"]["window_ms"]) + k * step
            run.detections.append(Detection(t_ms, k, manifest.wake_word))
    return run


CASCADES = (
    ("VAD model, reset only", {"gate": "vad", "replay_frames": 0}),
    ("VAD model, replay 300 ms", {"gate": "vad", "replay_frames": 30}),
    ("VAD model, replay 600 ms", {"gate": "vad"}),
    ("energy -40 dBFS, replay 600 ms", {"energy_dbfs": -40.0}),
    ("energy -30 dBFS, replay 600 ms", {"energy_dbfs": -30.0}),
)


def measure_cascades(streams: list[Path], wake: str = "okay_nabu") -> list[str]:
    """docs/WAKE_WORDS.md's cascade table: per configuration, the wake-word invocations
    (replays included) and VAD invocations summed over the streams, and the detections
    compared with the ungated reference."""
    from .frontend.wav import read_wav  # noqa: PLC0415
    from .paths import project_root  # noqa: PLC0415

    models = project_root() / "models"
    spec = models / wake / f"{wake}.json"
    audio = [read_wav(p).samples for p in streams]
    base = [run_oracle(spec, x) for x in audio]
    total = sum(b.inferences for b in base)
    lines = [f"ungated: {total} invocations, {sum(len(b.detections) for b in base)} detections"]
    for title, kw in CASCADES:
        kw = dict(kw)
        if kw.get("gate"):
            kw["gate"] = models / kw["gate"] / f"{kw['gate']}.json"
        runs = [run_cascade(spec, x, **kw) for x in audio]
        wake_runs = sum(r.wake_inferences for r in runs)
        diffs = []
        for p, b, r in zip(streams, base, runs, strict=True):
            want = [d.t_ms for d in b.detections]
            got = [d.t_ms for d in r.detections]
            if got != want:
                diffs.append(f"{p.stem}: {got} (ungated {want})")
        lines.append(
            f"{title}: wake {wake_runs} ({100 * wake_runs / total:.1f} %), "
            f"VAD {sum(r.gate_inferences for r in runs)}; "
            + ("detections identical" if not diffs else "; ".join(diffs))
        )
    return lines


if __name__ == "__main__":
    import sys

    from .paths import project_root

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else project_root() / "tests/data/wakeword"
    for line in measure_cascades(sorted(folder.glob("*.wav"))):
        print(line)
