"""Converter options, report and refusal messages."""

from __future__ import annotations

import json

import pytest
from engine_support import REFERENCE_MODELS, converted

from earshot_host.convert import convert_tflite
from earshot_host.errors import EarshotError
from earshot_host.modelfile import OpCode, RequantMode


def test_micro_speech_report(micro_speech) -> None:
    report = micro_speech.report
    assert [row.op for row in report.rows] == ["DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert report.total_macs == 336_000
    assert report.rows[0].macs == 320_000 and report.rows[1].macs == 16_000
    assert report.rows[0].input_shapes[0] == [1, 49, 40, 1]  # the folded RESHAPE's view
    assert report.folded_ops == ["#0 RESHAPE"]
    assert report.param_count == 8 * 10 * 8 + 8 + 4 * 4000 + 4
    assert report.flash_bytes == len(micro_speech.blob)
    assert report.arena_bytes == micro_speech.model.arena_size
    text = report.format_text()
    assert "336,000" in text and "DEPTHWISE_CONV_2D" in text
    assert json.loads(json.dumps(report.to_dict()))["total_macs"] == 336_000


def test_fc_rounding_modes() -> None:
    path = REFERENCE_MODELS["ad01_int8"]
    for mode, expected in (
        ("double", RequantMode.DOUBLE_ROUND),
        ("fixed_point", RequantMode.FIXED_POINT),
    ):
        model = converted(path, mode).model
        fcs = [op for op in model.ops if op.opcode == OpCode.FULLY_CONNECTED]
        assert fcs and all(op.params.requant_mode == expected for op in fcs)
    with pytest.raises(EarshotError, match="fc_rounding"):
        convert_tflite(path.read_bytes(), name="x", fc_rounding="float")


def test_conv_padding_is_precomputed() -> None:
    model = converted(REFERENCE_MODELS["kws_ref_model"]).model
    first = model.ops[0].params  # 10x4 filter, stride 2, SAME on 49x10
    assert (first.pad_top, first.pad_left, first.stride_h, first.filter_h) == (4, 1, 2, 10)


def test_label_count_must_match_output() -> None:
    data = (REFERENCE_MODELS["micro_speech"]).read_bytes()
    with pytest.raises(EarshotError, match="3 labels"):
        convert_tflite(data, name="m", labels=["a", "b", "c"])


def test_not_a_tflite_file() -> None:
    with pytest.raises(EarshotError, match="not a .tflite"):
        convert_tflite(b"\0" * 64, name="junk")
