"""The reference interpreter on converted reference models is bit-exact with LiteRT BUILTIN_REF."""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from engine_support import REFERENCE_DIR, REFERENCE_MODELS, converted

from earshot_host.oracle import litert_reference_outputs
from earshot_host.reference import ReferenceInterpreter

RANDOM_INPUTS = 20


def litert_reference(path: str) -> Interpreter:
    interpreter = Interpreter(
        model_path=path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF
    )
    interpreter.allocate_tensors()
    return interpreter


@pytest.mark.parametrize("model", sorted(REFERENCE_MODELS))
def test_bit_exact_with_litert_reference_kernels(model: str) -> None:
    path = REFERENCE_MODELS[model]
    ours = ReferenceInterpreter(converted(path).blob)
    oracle = litert_reference(str(path))
    (in_detail,) = oracle.get_input_details()
    (out_detail,) = oracle.get_output_details()
    rng = np.random.default_rng(sum(map(ord, model)))
    compared = 0
    for i in range(RANDOM_INPUTS):
        if i == 0:
            x = np.full(in_detail["shape"], -128, dtype=np.int8)
        elif i == 1:
            x = np.full(in_detail["shape"], 127, dtype=np.int8)
        else:
            x = rng.integers(-128, 128, size=in_detail["shape"], dtype=np.int8)
        oracle.set_tensor(in_detail["index"], x)
        oracle.invoke()
        expected = oracle.get_tensor(out_detail["index"])
        (got,) = ours.invoke([x])
        assert got.dtype == np.int8
        assert got.shape == tuple(expected.shape)
        mismatch = np.flatnonzero(got != expected)
        assert mismatch.size == 0, (
            f"{model} input #{i}: {mismatch.size} of {expected.size} outputs differ, first at "
            f"{mismatch[0]}: {got.ravel()[mismatch[0]]} != {expected.ravel()[mismatch[0]]}"
        )
        compared += expected.size
    assert compared == RANDOM_INPUTS * int(np.prod(out_detail["shape"]))


@pytest.mark.parametrize(
    ("spectrogram", "expected"),
    [
        ("legacy_yes_micro_features_49x40.npy", [-128, -128, 127, -128]),
        ("legacy_no_micro_features_f9643d42_nohash_4_49x40.npy", [-128, -114, -128, 114]),
    ],
)
def test_micro_speech_classifies_golden_spectrograms(micro_speech, spectrogram, expected) -> None:
    features = np.load(REFERENCE_DIR / spectrogram)
    assert features.dtype == np.int8 and features.shape == (49, 40)
    (scores,) = ReferenceInterpreter(micro_speech.blob).invoke([features.reshape(1, 1960)])
    assert scores.ravel().tolist() == expected
    label = micro_speech.model.metadata["labels"][int(np.argmax(scores))]
    assert label == ("yes" if "yes" in spectrogram else "no")


def test_micro_speech_all_zero_input(micro_speech) -> None:
    (scores,) = ReferenceInterpreter(micro_speech.blob).invoke([np.zeros((1, 1960), np.int8)])
    assert scores.ravel().tolist() == [-128, -121, -120, 113]


def test_fixed_point_fc_rounding_is_close_to_litert() -> None:
    """TFLite Micro-style FC requantization (fixed_point) against LiteRT's reference kernels
    on ad01's ten FULLY_CONNECTED layers: measured on 20 random inputs (12,800 outputs),
    a third of the outputs differ, by at most 3; the default (double) is exact."""
    path = REFERENCE_MODELS["ad01_int8"]
    fixed = ReferenceInterpreter(converted(path, "fixed_point").blob)
    double = ReferenceInterpreter(converted(path, "double").blob)
    rng = np.random.default_rng(7)
    batch = rng.integers(-128, 128, size=(20, 1, 640), dtype=np.int8)
    expected = litert_reference_outputs(path, batch)
    fixed_out = np.stack([fixed.invoke([x])[0] for x in batch]).astype(int)
    double_out = np.stack([double.invoke([x])[0] for x in batch])
    np.testing.assert_array_equal(double_out, expected.reshape(double_out.shape))
    diff = np.abs(fixed_out - expected.reshape(fixed_out.shape).astype(int))
    assert diff.max() == 3
    assert (diff > 0).sum() == 4274
    assert (diff > 1).sum() == 75
