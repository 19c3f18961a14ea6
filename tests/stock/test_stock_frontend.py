"""The front ends on stock MicroPython: earshot.Frontend of the native module gives, frame
by frame, the frames of the firmware's front end (the host fixed-point reference, which
the firmware equals on every target; on the Unix port the firmware itself too)."""

from __future__ import annotations

import numpy as np
import pytest
from stock_support import ROOT, data_path

from earshot_host.boards import get_board
from earshot_host.features import device_frames, model_frontend, reference_features
from earshot_host.frontend.wav import read_wav
from earshot_host.model_spec import ModelSource, resolve_model
from earshot_host.targets import open_target

pytestmark = pytest.mark.stock
MODEL_OF_KIND = {"tflm_micro": "micro_speech", "mfcc": "mlperf_kws", "logmel": "mlperf_sww"}


@pytest.mark.parametrize("kind", sorted(MODEL_OF_KIND))
def test_front_end_frames_are_the_firmware_s(target, kind):
    name = MODEL_OF_KIND[kind]
    frozen = resolve_model(name)
    # The model file's bytes (the stock firmware has no frozen models), uploaded.
    fe = model_frontend(ModelSource(name, False, frozen.blob))
    x = read_wav(ROOT / "tests" / "data" / "audio" / "yes_1000ms.wav").samples
    raw = kind == "tflm_micro"
    if target.board.kind == "unix":
        expr = None  # the model's bytes, uploaded: read into RAM
    else:
        x = x[:8000]  # half a second: the first frames of the whole clip (causal)
        expr = f"earshot.Model.from_file({data_path(target.board, name + '.esm')!r})"
    q, values = device_frames(target.runner, fe, x, raw=raw, model_expr=expr)
    assert len(q) == 1 + (len(x) // fe.hop * fe.hop - fe.window) // fe.hop
    np.testing.assert_array_equal(q, reference_features(fe, x))
    if raw:
        np.testing.assert_array_equal(values, reference_features(fe, x, raw=True))
    if target.board.kind == "unix":
        firmware = open_target(get_board("unix", ROOT), ROOT)
        try:
            ours, _ = device_frames(firmware, model_frontend(frozen), x)
        finally:
            firmware.close()
        np.testing.assert_array_equal(q, ours)
