"""The always-on detector hears planted words at the right times, and nothing else: on the
Unix port (reading the WAV itself) and on QEMU boards (hearing it over the UART stream)."""

from __future__ import annotations

import pytest

from earshot_host.listen import Session, listen_qemu, listen_unix
from earshot_host.scenes import Placement, Scene, compose, write_scene

# A detection counts when it comes within 0.5 s of the clip's end plus 250 ms (the usual
# latency of 1 s of posterior averaging after the word).
LATENCY_MS = 250
TOLERANCE_MS = 500

SCENES = {
    # yes / no between stretches of noise, silence and level changes.
    "micro_speech": (
        (
            Placement("yes_1000ms", 1_500, 0.0, "yes"),
            Placement("noise_1000ms", 3_500, 0.0),
            Placement("no_1000ms", 5_500, -6.0, "no"),
            Placement("silence_1000ms", 7_500, 0.0),
            Placement("yes_1000ms", 9_500, 6.0, "yes"),
            Placement("white_m30dbfs_1000ms", 12_000, 0.0),
        ),
        14_000,
        -65.0,
        False,
    ),
    # MLPerf KWS: "yes" at full level and 24 dB down (each window is scaled by its peak,
    # as in training), "marvin" (not a keyword: unknown), silence, noise, and a "no" that
    # the reference model calls "go" (0.84, even with TensorFlow's float front end on the
    # isolated clip; see models/mlperf_kws/MODEL.md): planted, and counted as a miss (in
    # this stream it gives no detection at all).
    "mlperf_kws": (
        (
            Placement("yes_1000ms", 1_500, 0.0, "yes"),
            Placement("noise_1000ms", 3_500, 0.0),
            Placement("marvin_617de221_0", 5_500, 0.0),
            Placement("silence_1000ms", 7_500, 0.0),
            Placement("yes_1000ms", 9_500, -24.0, "yes"),
            Placement("white_m30dbfs_1000ms", 12_000, 0.0),
            Placement("no_1000ms", 14_000, 0.0, "no"),
        ),
        16_500,
        -65.0,
        False,
    ),
    # The stereo "marvin" clip in a noise stream (written as a stereo WAV).
    "mlperf_sww": (
        (
            Placement("marvin_617de221_0", 2_000, 0.0, "marvin"),
            Placement("yes_1000ms", 5_000, 0.0),
        ),
        8_000,
        -45.0,
        True,
    ),
}


def listen(target, model: str, wav) -> Session:
    if target.board.kind == "unix":
        return listen_unix(target.board, model, wav)
    return listen_qemu(target.runner, model, wav)


# Planted words the model misses (measured: no detection for them), by model.
MISSED = {"mlperf_kws": ("no",)}


def check_detections(session: Session, scene: Scene, model: str) -> None:
    assert session.error == "" and not session.of_type("error"), session.error
    found = [(d["label"], d["t_ms"]) for d in session.detections]
    missed = MISSED.get(model, ())
    expected = [(e.label, e.end_ms + LATENCY_MS) for e in scene.events if e.label not in missed]
    # Every planted word counts: the misses are the measured ones, no more, no fewer.
    assert len(scene.events) - len(expected) == len(missed)
    assert len(found) == len(expected), f"expected {expected}, got {found}"
    for (label, t), (want, at) in zip(found, expected, strict=True):
        assert label == want, f"expected {expected}, got {found}"
        assert abs(t - at) <= TOLERANCE_MS, f"{label} at {t} ms, expected {at} ± {TOLERANCE_MS}"
    (end,) = session.of_type("end")
    assert end["t_ms"] >= scene.duration_ms
    stats = session.of_type("stats")[-1]
    assert stats["overruns"] == 0 and stats["malformed"] == 0


@pytest.mark.parametrize("model", sorted(SCENES))
def test_planted_words_are_detected_at_the_right_times(target, tmp_path, model):
    placements, duration_ms, noise_dbfs, stereo = SCENES[model]
    scene = compose(placements, duration_ms, noise_dbfs)
    wav = tmp_path / f"{model}.wav"
    write_scene(wav, scene, stereo=stereo)
    session = listen(target, model, wav)
    refusals = [m["message"] for m in session.of_type("error")] + [session.error]
    # Every model may be refused, with the bytes it lacks, on heaps under 48 KiB only:
    # qemu_m0's 20 KiB holds micro_speech's model and front end but, since the detector,
    # cascade, MQTT and front-end plan came in, not always the rest of its pipeline (about
    # 1 KB short, in pieces); every other target runs every scene.
    if any(target.pipeline_refused(text) for text in refusals):
        return
    check_detections(session, scene, model)
