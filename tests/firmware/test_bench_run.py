"""A quick benchmark run on each QEMU board: bench.json's schema, and two runs that agree.

Figures are instruction counts (QEMU -icount), so two runs must agree within 1 %; their
size is not asserted here (goals are reported by `make bench`, docs/BENCHMARKS.md)."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest

from earshot_host.bench.run import quick_settings, run_bench
from earshot_host.bench.schema import validate
from earshot_host.bench.stats import MAX_SPREAD


def quick_run(target: Any, root: Path) -> dict[str, Any]:
    kernels = os.environ.get("EARSHOT_KERNELS") or "optimized"
    settings = quick_settings([target.name], ["micro_speech"], [kernels])
    return run_bench(settings, root, runner=target.runner)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= MAX_SPREAD * max(a, b)


@pytest.mark.kinds("qemu")
def test_quick_bench_is_valid_and_repeatable(target: Any, root: Path) -> None:
    first = quick_run(target, root)
    validate(first)
    second = quick_run(target, root)
    validate(second)
    t1, t2 = first["targets"][target.name], second["targets"][target.name]
    assert t1["flash"] == t2["flash"]
    assert t1["flash"]["cmodule_bytes"] > 0 and t1["flash"]["package_bytes"] > 0
    assert t1["skipped"] == t2["skipped"]
    if "micro_speech" in t1["skipped"]:
        # Only a board too small for the model may skip it, and it says why.
        assert target.board.heap_bytes < 48 * 1024, t1["skipped"]
        return
    m1, m2 = t1["models"]["micro_speech"], t2["models"]["micro_speech"]
    assert m1["instructions"] > m1["macs"] > 0
    assert close(m1["instructions"], m2["instructions"]), (
        m1["instructions_runs"],
        m2["instructions_runs"],
    )
    assert m1["instructions_spread"] <= MAX_SPREAD
    # The per-operator profile accounts for (nearly) the whole inference.
    kernels = sum(k["instructions"] for k in m1["kernels"].values())
    assert 0.9 * m1["instructions"] < kernels <= m1["instructions"]
    fe1, fe2 = t1["frontends"]["tflm_micro"], t2["frontends"]["tflm_micro"]
    assert close(fe1["instructions_per_hop"], fe2["instructions_per_hop"])
    if "pipeline micro_speech" in t1["skipped"]:
        assert target.board.heap_bytes < 48 * 1024, t1["skipped"]
        return
    p1, p2 = t1["pipeline"]["micro_speech"], t2["pipeline"]["micro_speech"]
    for key in ("instructions_per_audio_second", "instructions_per_audio_second_gated"):
        assert close(p1[key], p2[key]), (key, p1, p2)
    assert p1["ram_bytes"] == p2["ram_bytes"] and p1["ram_bytes"] > p1["arena_bytes"]
    # The gate closed on the speech-free stream: no inference, far fewer instructions.
    assert p1["gated_inferences"] == 0
    assert p1["instructions_per_audio_second_gated"] < p1["instructions_per_audio_second"] / 2


PROFILE_SETUP = """
import array, _earshot
from earshot.model import Model
m = Model.frozen('micro_speech')
ops = 3  # micro_speech: depthwise conv, fully connected, softmax
"""


def test_invoke_profile_needs_one_uint32_per_operator(target: Any) -> None:
    out = target.exec(
        PROFILE_SETUP
        + """
for size in (0, 4 * ops - 1):
    try:
        m.profile(bytearray(size))
        print('accepted', size)
    except ValueError as err:
        print(err)
prof = array.array('I', [7] * ops)
m.profile(prof)
print(list(prof))
"""
    )
    lines = out.strip().splitlines()
    assert lines[:2] == ["profile needs one uint32 per operator"] * 2
    profile = ast.literal_eval(lines[2])
    assert len(profile) == 3 and 7 not in profile  # every entry written
    if target.board.kind == "qemu":
        assert all(cycles > 0 for cycles in profile)
    else:
        assert profile == [0, 0, 0]  # no cycle counter on the Unix port
