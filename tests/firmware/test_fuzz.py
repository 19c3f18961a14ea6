"""Model fuzzing: mutants of every valid model (blind bit flips, truncation, extension, and
structure-aware rewrites of header, tensor and operator fields with the CRC recomputed) are
refused with the host reader's check code or run bit-exactly like the NumPy reference; no
crash, hang or sanitizer report. A few hundred cases here; `make fuzz` runs 10,000.
The regression fixtures of tests/data/fuzz/ are replayed first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earshot_host.fuzz import FirmwareFuzzer, Report, generate, make_case
from earshot_host.fuzz.native import build_native
from earshot_host.fuzz.runner import Case

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "fuzz"
CASES = 300


def fixture_cases() -> list[Case]:
    cases = []
    for i, path in enumerate(sorted(FIXTURES.glob("*.esm"))):
        note = json.loads(path.with_suffix(".json").read_text())
        case = make_case(1_000_000 + i, note["base"], path.read_bytes(), note["seed"], path.name)
        assert (case.code or "valid") == note["expected"], path.name
        cases.append(case)
    return cases


def check(fuzzer: FirmwareFuzzer, seed: int) -> Report:
    report = Report()
    try:
        fuzzer.run([*fixture_cases(), *generate(CASES, seed)], report)
    finally:
        fuzzer.close()
    failures = [(f.case.base, f.case.how, f.kind, f.detail) for f in report.failures]
    assert failures == []
    assert report.cases == CASES + len(fixture_cases())
    # The mutants reach deep: many different checks refuse them, and valid ones run.
    codes = {v.split()[1] for v in report.verdicts if v.startswith("refused")}
    assert {"H6", "S2", "T4", "T7", "IO1", "O6", "O7"} <= codes, report.verdicts
    assert report.verdicts["valid, ran bit-exact"] >= CASES // 20, report.verdicts
    return report


@pytest.mark.kinds("unix")
def test_mutated_models_are_refused_with_a_reason_or_run_exactly(target):
    check(FirmwareFuzzer(target.board.firmware_path()), seed=101)


def test_native_harness_finds_no_out_of_bounds_access():
    # The engine's C files on the host with ASan+UBSan, every buffer malloc'd to its size.
    harness = build_native(ROOT / "build" / "fuzz" / "model_fuzz")  # rebuilt when changed
    check(FirmwareFuzzer(harness, native=True), seed=102)


def test_a_crash_is_found_and_isolated(tmp_path):
    # The runner itself: a "firmware" that dies on one case is reported on that case, and
    # the cases after it still run.
    script = tmp_path / "dies_on_case_2.sh"
    script.write_text(
        "#!/bin/sh\n"
        'python3 -c "import struct,sys\n'
        "f = open(sys.argv[1], 'rb')\n"
        "while True:\n"
        "    h = f.read(12)\n"
        "    if len(h) < 12: break\n"
        "    i, n, x = struct.unpack('<III', h); f.read(n + x)\n"
        "    if i == 2: sys.exit(134)\n"
        "    print(i, 'ERR H1 file too short', flush=True)\n"
        '" "$1"\n'
    )
    script.chmod(0o755)
    cases = [make_case(i, "empty", b"", i, "empty file") for i in range(5)]
    report = Report()
    fuzzer = FirmwareFuzzer(script, native=True)
    try:
        fuzzer.run(cases, report)
    finally:
        fuzzer.close()
    assert [(f.case.id, f.kind) for f in report.failures] == [(2, "crash")]
    assert report.verdicts == {"refused H1": 4, "crash": 1}


# The conformance cases of the streaming ops: a variable with its initial value, the
# CONCATENATION / STRIDED_SLICE / SPLIT_V / LOGISTIC / QUANTIZE / MUL / PAD / MEAN
# parameter blocks and broadcasting.
STATEFUL_BASES = (
    "stream_state",
    "concat_channels",
    "concat_four",
    "strided_slice",
    "split_v",
    "logistic",
    "logistic_uint8_io",
    "broadcast_add",
    "mul_broadcast",
    "pad",
    "mean_hw",
)


STATEFUL_CASES = 1000


def test_native_harness_on_mutants_of_the_streaming_ops():
    harness = build_native(ROOT / "build" / "fuzz" / "model_fuzz")
    fuzzer = FirmwareFuzzer(harness, native=True)
    report = Report()
    try:
        fuzzer.run(list(generate(STATEFUL_CASES, seed=103, only=STATEFUL_BASES)), report)
    finally:
        fuzzer.close()
    failures = [(f.case.base, f.case.how, f.kind, f.detail) for f in report.failures]
    assert failures == []
    codes = {v.split()[1] for v in report.verdicts if v.startswith("refused")}
    assert {"T2", "T10", "O2", "O6", "O7"} <= codes, report.verdicts
    assert report.verdicts["valid, ran bit-exact"] >= STATEFUL_CASES // 10, report.verdicts
