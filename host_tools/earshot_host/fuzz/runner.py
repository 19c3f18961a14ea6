"""Run model mutants on the Unix firmware, many per process, and judge every one.

Cases go to the firmware in a file of length-prefixed records (u32 case id, u32 model
length, u32 input length, model bytes, input bytes); the firmware prints one line per case:
`<id> ERR <ValueError text>` or `<id> OK <crc32 of the outputs>`. A case passes when

- the host reader (earshot_host.modelfile) refuses it and the firmware names the same check
  (code S3 is host-only: the firmware does not parse the JSON metadata), or
- the host accepts it and the firmware runs it to the NumPy reference's output, or refuses
  it only for want of heap.

If the process dies (crash, sanitizer report, timeout), the first case without a line is
re-run alone to confirm; it is a failure, and the batch resumes after it.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import EarshotError
from ..modelfile import ModelFormatError, read_model
from ..paths import project_root
from ..reference import ReferenceInterpreter
from .mutations import mutate

DEVICE_CODE = """
import sys, struct, gc, _earshot, earshot
f = open(sys.argv[1], 'rb')
done = 0
while True:
    h = f.read(12)
    if len(h) < 12:
        break
    idx, n, xn = struct.unpack('<III', h)
    model = f.read(n)
    x = f.read(xn)
    done += 1
    if done % 16 == 0:
        gc.collect()
    try:
        m = earshot.Model(model)
    except ValueError as e:
        print(idx, 'ERR', e)
        continue
    pos = 0
    for v in m.inputs:
        k = len(v)
        if pos + k <= len(x):
            v[:] = x[pos:pos + k]
        pos += k
    m.invoke()
    crc = 0
    for v in m.outputs:
        crc = _earshot.crc32(v, crc)
    print(idx, 'OK', crc)
    m = None
"""

# Sanitizer reports end the process (so the case is found) and leaks are not errors:
# MicroPython's heap is one block that lives until exit.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=99",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=98",
}
HEAP = "16M"
# Reference outputs are computed for accepted mutants with an arena up to this size (the
# NumPy interpreter is slow on the largest models); bigger ones must just run.
REFERENCE_ARENA_LIMIT = 1 << 20


@dataclass(frozen=True)
class Case:
    id: int
    base: str
    seed: int
    how: str
    data: bytes
    code: str | None  # the host reader's first failed check; None: a valid model
    input: bytes = b""
    expected_crc: int | None = None  # crc32 of the reference outputs, when computed


@dataclass
class Failure:
    case: Case
    kind: str  # crash, mismatch, wrong output
    detail: str


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    verdicts: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "seconds": round(self.seconds, 1),
            "verdicts": dict(sorted(self.verdicts.items())),
            "failures": [
                {"base": f.case.base, "seed": f.case.seed, "how": f.case.how, "kind": f.kind}
                | {"detail": f.detail[-2000:]}
                for f in self.failures
            ],
        }


@cache
def base_models() -> dict[str, bytes]:
    """The valid models mutants are made from: models/*/*.esm and the conformance cases."""
    from ..convert import convert_tflite

    root = project_root()
    bases = {p.stem: p.read_bytes() for p in sorted(root.glob("models/*/*.esm"))}
    for tflite in sorted((root / "tests" / "data" / "conformance").glob("*.tflite")):
        try:
            bases[tflite.stem] = convert_tflite(tflite.read_bytes(), name=tflite.stem).blob
        except EarshotError:
            continue  # a case the converter refuses on purpose (e.g. broadcasting ADD)
    return bases


def host_code(data: bytes) -> str | None:
    try:
        read_model(data)
    except ModelFormatError as err:
        return str(err).split()[0]
    return None


def make_case(case_id: int, base: str, data: bytes, seed: int, how: str) -> Case:
    """A case with the host's verdict and, for a valid model, an input and its output."""
    code = host_code(data)
    if code is not None:
        return Case(case_id, base, seed, how, data, code)
    model = read_model(data)
    rng = np.random.default_rng(seed & 0xFFFFFFFF)
    inputs = [  # random bytes, read in the input's type (int8 or uint8)
        rng.integers(0, 256, size=model.tensors[i].byte_size, dtype=np.uint8).view(
            model.tensors[i].dtype.numpy_name
        )
        for i in model.inputs
    ]
    x = b"".join(a.tobytes() for a in inputs)
    crc = None
    if model.arena_size <= REFERENCE_ARENA_LIMIT:
        interpreter = ReferenceInterpreter(model)
        shapes = interpreter.input_shapes()
        outs = interpreter.invoke([a.reshape(s) for a, s in zip(inputs, shapes, strict=True)])
        crc = 0
        for out in outs:
            crc = zlib.crc32(out.tobytes(), crc)
    return Case(case_id, base, seed, how, data, None, x, crc)


def generate(
    count: int, seed: int, start: int = 0, only: Sequence[str] | None = None
) -> Iterator[Case]:
    """Cases start..start+count-1 of a run; case i mutates base model i mod len(bases)
    (only: the bases of these names)."""
    bases = base_models()
    names = [name for name in bases if only is None or name in only]
    for i in range(start, start + count):
        name = names[i % len(names)]
        case_seed = (seed << 32) | i
        mutant = mutate(bases[name], case_seed)
        yield make_case(i, name, mutant.data, case_seed, mutant.how)


def judge(case: Case, line: str) -> tuple[str, str | None]:
    """(verdict, failure kind or None) of the firmware's line for a case."""
    _, status, rest = (line.split(" ", 2) + ["", ""])[:3]
    if status == "ERR":
        reason = rest.split(" ", 1)[0]
        if case.code is None:
            if rest.startswith("model needs"):
                return "valid, no heap", None
            return f"valid, refused {reason}", "mismatch"
        if case.code == "S3" or reason == case.code:
            return f"refused {case.code}", None
        return f"host {case.code}, firmware {reason}", "mismatch"
    if status == "OK":
        if case.code == "S3":
            return "S3 (host only), ran", None
        if case.code is not None:
            return f"host {case.code}, firmware ran", "mismatch"
        if case.expected_crc is None:
            return "valid, ran", None
        if int(rest) == case.expected_crc:
            return "valid, ran bit-exact", None
        return "valid, wrong output", "wrong output"
    return f"unreadable line {line!r}", "crash"


class FirmwareFuzzer:
    """Feeds cases to one firmware binary, a batch per process. native=True: the binary is
    the native harness tests/fuzz/model_fuzz_main.c (build/fuzz/model_fuzz), which reads
    the same cases file and prints the same lines."""

    def __init__(self, firmware: Path, timeout: float = 300.0, native: bool = False) -> None:
        self.firmware = firmware
        self.native = native
        self.timeout = timeout
        self._dir = tempfile.TemporaryDirectory(prefix="earshot-fuzz-")
        self.dir = Path(self._dir.name)
        (self.dir / "fuzz_cases.py").write_text(DEVICE_CODE)

    def close(self) -> None:
        self._dir.cleanup()

    def _run(self, cases: list[Case]) -> tuple[dict[int, str], str, int | None]:
        """Lines by case id, stderr, and the exit status (None on timeout)."""
        path = self.dir / "cases.bin"
        with path.open("wb") as f:
            for c in cases:
                f.write(struct.pack("<III", c.id, len(c.data), len(c.input)) + c.data + c.input)
        env = os.environ | SANITIZER_ENV
        args = [str(self.firmware), "-X", f"heapsize={HEAP}", "fuzz_cases.py", str(path)]
        if self.native:
            args = [str(self.firmware), str(path)]
        try:
            proc = subprocess.run(
                args, cwd=self.dir, env=env, capture_output=True, timeout=self.timeout, check=False
            )
            out, err, status = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out, err, status = exc.stdout or b"", exc.stderr or b"", None
        lines: dict[int, str] = {}
        for line in out.decode(errors="replace").splitlines():
            head = line.split(" ", 1)[0]
            if head.isdigit():
                lines[int(head)] = line
        return lines, err.decode(errors="replace"), status

    def run(self, cases: Iterable[Case], report: Report, batch: int = 500) -> Report:
        started = time.monotonic()
        pending: list[Case] = []
        for case in cases:
            pending.append(case)
            if len(pending) >= batch:
                self._batch(pending, report)
                pending = []
        if pending:
            self._batch(pending, report)
        report.seconds += time.monotonic() - started
        return report

    def _batch(self, cases: list[Case], report: Report) -> None:
        while cases:
            lines, err, status = self._run(cases)
            died = status != 0 or bool(err.strip())
            for k, case in enumerate(cases):  # noqa: B007 (k is used after the loop)
                line = lines.get(case.id)
                if line is None:
                    break
                verdict, failure = judge(case, line)
                report.cases += 1
                report.verdicts[verdict] += 1
                if failure:
                    report.failures.append(Failure(case, failure, line))
            else:
                if not died:
                    return
                k = len(cases) - 1  # every line printed, then a report at exit
            # The process died at case k: confirm it alone, then go on after it.
            suspect = cases[k]
            alone, alone_err, alone_status = self._run([suspect])
            detail = f"status {alone_status}: {alone_err.strip() or err.strip()}"
            if suspect.id in alone and alone_status == 0 and not alone_err.strip():
                detail = f"only in a batch (status {status}): {err.strip()}"
            if suspect.id not in lines:
                report.cases += 1
                report.verdicts["crash"] += 1
            report.failures.append(Failure(suspect, "crash", detail))
            cases = cases[k + 1 :]


def save_failure(failure: Failure, folder: Path, found_by: str) -> Path:
    """A failing case as a regression fixture: <name>.esm and <name>.json (how it was found,
    what it must do)."""
    folder.mkdir(parents=True, exist_ok=True)
    case = failure.case
    name = f"{case.base}-{case.seed:x}"
    (folder / f"{name}.esm").write_bytes(case.data)
    note = {
        "found_by": found_by,
        "base": case.base,
        "seed": case.seed,
        "mutation": case.how,
        "failure": failure.kind,
        "detail": failure.detail[-2000:],
        "expected": case.code or "valid",
    }
    (folder / f"{name}.json").write_text(json.dumps(note, indent=2) + "\n")
    return folder / f"{name}.esm"
