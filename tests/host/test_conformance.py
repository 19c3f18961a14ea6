"""Single-op and small multi-op conformance cases (goldens from LiteRT BUILTIN_REF)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from engine_support import CONFORMANCE_DIR, converted

from earshot_host.errors import EarshotError
from earshot_host.modelfile import find_arena_conflicts
from earshot_host.reference import ReferenceInterpreter

CASES = json.loads((CONFORMANCE_DIR / "cases.json").read_text())
SUPPORTED = sorted(name for name, case in CASES.items() if "expect_refusal" not in case)
REFUSED = sorted(name for name, case in CASES.items() if "expect_refusal" in case)


def test_suite_is_complete_and_small() -> None:
    assert len(SUPPORTED) >= 20 and len(REFUSED) >= 3
    total = sum(p.stat().st_size for p in CONFORMANCE_DIR.iterdir())
    assert total < 1_000_000


@pytest.mark.parametrize("name", SUPPORTED)
def test_matches_litert_golden(name: str) -> None:
    model = converted(CONFORMANCE_DIR / f"{name}.tflite")
    assert find_arena_conflicts(model.model.tensors, model.model.ops) == []
    golden = np.load(CONFORMANCE_DIR / f"{name}.golden.npz")
    interpreter = ReferenceInterpreter(model.blob)
    assert len(golden["inputs"]) >= 10
    for i, (x, expected) in enumerate(zip(golden["inputs"], golden["outputs"], strict=True)):
        (got,) = interpreter.invoke([x])
        assert got.shape == expected.shape
        assert np.array_equal(got, expected), (
            f"{name} input #{i}: {got.ravel()} != {expected.ravel()}"
        )


@pytest.mark.parametrize("name", REFUSED)
def test_refuses_unsupported_model(name: str) -> None:
    with pytest.raises(EarshotError) as info:
        converted(CONFORMANCE_DIR / f"{name}.tflite")
    assert CASES[name]["expect_refusal"] in str(info.value)


def test_tanh_refusal_names_op_and_index() -> None:
    with pytest.raises(EarshotError, match=r"^op #1 TANH is not supported"):
        converted(CONFORMANCE_DIR / "unsupported_tanh.tflite")


KERNEL_GOLDENS = CONFORMANCE_DIR.parent / "kernels"  # the kernel edge shapes (PROVENANCE.md)


@pytest.mark.parametrize("name", sorted(p.stem for p in KERNEL_GOLDENS.glob("*.tflite")))
def test_kernel_edge_shape_matches_litert_golden(name: str) -> None:
    model = converted(KERNEL_GOLDENS / f"{name}.tflite")
    golden = np.load(KERNEL_GOLDENS / f"{name}.golden.npz")
    interpreter = ReferenceInterpreter(model.blob)
    for i, (x, expected) in enumerate(zip(golden["inputs"], golden["outputs"], strict=True)):
        (got,) = interpreter.invoke([x])
        assert np.array_equal(got, expected), f"{name} input #{i}"
