"""Instruction counts on one target and kernel build.

QEMU boards: the snippets time themselves with SysTick core cycles (deterministic under
`-icount shift=0`: one instruction per nanosecond, so one cycle is 1e9 / clock_hz
instructions). Unix port: the same snippets run under callgrind twice, with n and 2n
repetitions; the difference of the two instruction totals, divided by n, is the cost of
one repetition (start-up and set-up cancel out), and per-kernel figures are the difference
of the kernels' inclusive counts.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..boards import Board
from ..errors import EarshotError
from ..runner import Runner, open_runner
from . import snippets
from .extra_ram import arena_prelude, extended_board, extra_ram_for
from .modelinfo import KERNEL_FUNCTIONS, ModelInfo


@dataclass
class Figures:
    """Repeated counts of one measurement (instructions per unit) and its extras."""

    runs: list[float]
    kernels: list[dict[str, float]] = field(default_factory=list)  # per run
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Measurer:
    """Runs the benchmark snippets on one target with one kernel build."""

    def __init__(
        self, board: Board, kernels: str, root: Path, runner: Runner | None = None
    ) -> None:
        self.board = board
        self.kernels = kernels
        self.root = root
        # A runner given by the caller (a test's) is used and left open.
        self._runner: Runner | None = runner
        self._owned = runner is None

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            self._runner = open_runner(self.board, self.root, self.kernels)
            self._owned = True
        return self._runner

    def close(self) -> None:
        if self._runner is not None and self._owned:
            self._runner.close()
        self._runner = None

    def _run(self, code: str, what: str, timeout: float = 900.0) -> dict[str, Any]:
        return self._run_parts([code], what, timeout)

    def _run_parts(self, parts: list[str], what: str, timeout: float = 900.0) -> dict[str, Any]:
        """Run snippets one after the other in one interpreter (the first after a soft
        reset); the last one prints the result. A runner that cannot keep state between
        runs (the Unix port) runs them joined."""
        if not self.runner.keeps_state:
            parts = ["\n".join(parts)]
        result = None
        for i, part in enumerate(parts):
            result = self.runner.run(part, timeout=timeout, soft_reset=i == 0)
            if "MemoryError" in result.error:
                # The board ran out of heap for the measurement itself: a figure it
                # cannot give, not a failure of the benchmark.
                last = result.error.strip().splitlines()[-1]
                return {"error": f"out of memory beside the benchmark's own code: {last}"}
            if "ImportError: no module named 'earshot_models." in result.error:
                # A model this board's image does not freeze (models/manifest.py chose).
                return {"error": "not frozen in this board's image"}
            if not result.ok:
                raise EarshotError(f"{self.board.name} ({self.kernels}) {what}: {result.error}")
        assert result is not None
        return snippets.parse_output(result.output, what)

    @property
    def per_cycle(self) -> float:
        """Instructions per SysTick cycle on a QEMU board."""
        return 1e9 / self.board.clock_hz

    # ------------------------------------------------------------------ measurements
    def model(self, info: ModelInfo, repeat: int) -> Figures:
        what = f"model {info.name}"
        res, memory = self._run_model_code(
            lambda setup: snippets.model_snippet(info.name, len(info.ops), repeat, setup=setup),
            what,
        )
        if "error" in res:
            return Figures([], error=res["error"])
        runs = [c * self.per_cycle for c in res["cycles"]]
        kernels = []
        for profile in res["profiles"]:
            by_kernel: dict[str, float] = {}
            for op, cycles in zip(info.ops, profile, strict=True):
                by_kernel[op.kernel] = by_kernel.get(op.kernel, 0.0) + cycles * self.per_cycle
            kernels.append(by_kernel)
        extra_figures: dict[str, Any] = {"arena_bytes": res["arena_bytes"]}
        if memory:
            extra_figures["memory"] = memory
        return Figures(runs, kernels, extra_figures)

    def _run_model_code(self, make: Any, what: str) -> tuple[dict[str, Any], str | None]:
        """Run make("") (a snippet that builds a frozen model); when the board's heap
        cannot hold the model's arena and the bench has RAM to lend it (extra_ram.py),
        run make(prelude) on the board booted with that RAM. The result, and the note
        saying so (or None)."""
        res = self._run(make(""), what)
        extra = extra_ram_for(self.board)
        if "error" not in res or extra is None or "arena" not in res["error"]:
            return res, None
        runner = open_runner(extended_board(self.board, extra), self.root, self.kernels)
        try:
            result = runner.run(make(arena_prelude(extra)), timeout=900.0)
        finally:
            runner.close()
        if not result.ok:
            raise EarshotError(
                f"{self.board.name} ({self.kernels}) {what} with bench-only RAM: {result.error}"
            )
        return snippets.parse_output(result.output, what), extra.note

    def frontend(self, info: ModelInfo, repeat: int, hops: int) -> Figures:
        what = f"front end of {info.name}"
        res, memory = self._run_model_code(
            lambda setup: snippets.frontend_snippet(
                info.name, info.hop_samples, repeat, hops, setup=setup
            ),
            what,
        )
        if "error" in res:
            return Figures([], error=res["error"])
        return Figures(
            [c * self.per_cycle / hops for c in res["cycles"]],
            extra={"memory": memory} if memory else {},
        )

    def pipeline(self, info: ModelInfo, gated: bool, repeat: int, seconds: float) -> Figures:
        hops = self._hops(info, seconds)
        parts = snippets.pipeline_parts(info.name, info.hop_samples, gated, repeat, hops)
        res = self._run_parts(parts, f"pipeline of {info.name}")
        if "error" in res:
            return Figures([], error=res["error"])
        audio_s = hops * info.hop_samples / info.sample_rate
        runs = [c * self.per_cycle / audio_s for c in res["cycles"]]
        extra = {k: res[k] for k in ("heap_bytes", "inferences", "gated", "hops")}
        return Figures(runs, extra=extra)

    @staticmethod
    def _hops(info: ModelInfo, seconds: float) -> int:
        """Whole inference periods covering about `seconds` of audio."""
        per_second = info.sample_rate / info.hop_samples
        periods = max(1, round(seconds * per_second / info.hops_per_inference))
        return periods * info.hops_per_inference


class CallgrindMeasurer(Measurer):
    """The Unix port, counted by callgrind (see the module docstring)."""

    def _callgrind(self, code: str, what: str) -> tuple[int, dict[str, int], dict[str, Any]]:
        firmware = self.board.firmware_path(self.root, self.kernels)
        if not firmware.is_file():
            raise EarshotError(f"no firmware at {firmware} (run `make unix`)")
        with tempfile.TemporaryDirectory(prefix="earshot-bench-") as tmp:
            script = Path(tmp) / "bench.py"
            script.write_text(code)
            out_file = Path(tmp) / "callgrind.out"
            proc = subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={out_file}",
                    str(firmware),
                    str(script),
                ],
                capture_output=True,
                text=True,
                cwd=tmp,
                timeout=1800,
                check=False,
            )
            if proc.returncode != 0 or not out_file.is_file():
                raise EarshotError(f"unix callgrind {what}: {proc.stderr[-500:]}")
            total = callgrind_total(out_file.read_text(errors="replace"))
            annotated = subprocess.run(
                ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out_file)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        return total, inclusive_counts(annotated), snippets.parse_output(proc.stdout, what)

    def _difference(
        self, make: Any, n: int, what: str
    ) -> tuple[float, dict[str, float], dict[str, Any]]:
        total1, fns1, _ = self._callgrind(make(n), what)
        if "es_check_header" not in fns1:
            raise EarshotError(
                f"{self.board.firmware_path(self.root, self.kernels)} has no symbols for "
                "callgrind: build it with `make unix STRIP=true` (make bench does)"
            )
        total2, fns2, res = self._callgrind(make(2 * n), what)
        if "error" in res:
            raise EarshotError(res["error"])
        fns = {k: (fns2.get(k, 0) - fns1.get(k, 0)) / n for k in fns2}
        return (total2 - total1) / n, fns, res

    def model(self, info: ModelInfo, repeat: int) -> Figures:
        runs: list[float] = []
        kernels: list[dict[str, float]] = []
        for _ in range(repeat):
            per, fns, res = self._difference(
                lambda n: snippets.model_snippet(info.name, len(info.ops), 1, n, False),
                1,
                info.name,
            )
            runs.append(per)
            by_kernel: dict[str, float] = {}
            for fn, kernel in KERNEL_FUNCTIONS.items():
                if fn in fns:
                    by_kernel[kernel] = by_kernel.get(kernel, 0.0) + fns[fn]
            kernels.append(by_kernel)
        return Figures(runs, kernels, {"arena_bytes": res["arena_bytes"]})

    def frontend(self, info: ModelInfo, repeat: int, hops: int) -> Figures:
        runs = []
        for _ in range(repeat):
            per, _, _ = self._difference(
                lambda n: snippets.frontend_snippet(info.name, info.hop_samples, 1, n),
                hops,
                f"front end of {info.name}",
            )
            runs.append(per)
        return Figures(runs)

    def pipeline(self, info: ModelInfo, gated: bool, repeat: int, seconds: float) -> Figures:
        # Under callgrind the n and 2n runs hear 3 x seconds of audio: one second is plenty.
        hops = self._hops(info, min(seconds, 1.0))
        audio_s = hops * info.hop_samples / info.sample_rate
        runs = []
        for _ in range(repeat):
            per, _, _ = self._difference(
                lambda n: "\n".join(
                    snippets.pipeline_parts(info.name, info.hop_samples, gated, 1, n)
                ),
                hops,
                f"pipeline of {info.name}",
            )
            runs.append(per / audio_s * hops)
        # The heap figure comes from a plain (uncounted) run of the same snippet.
        parts = snippets.pipeline_parts(info.name, info.hop_samples, gated, 1, hops)
        res = self._run_parts(parts, f"pipeline of {info.name}")
        extra = {k: res[k] for k in ("heap_bytes", "inferences", "gated", "hops")}
        return Figures(runs, extra=extra)


_TOTAL = re.compile(r"^(?:totals|summary):\s+(\d+)", re.MULTILINE)
_ANNOTATED = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(?:\S*:)?([A-Za-z_]\w*)\b", re.MULTILINE)


def callgrind_total(text: str) -> int:
    match = _TOTAL.search(text)
    if not match:
        raise EarshotError("callgrind output has no totals line")
    return int(match.group(1))


def inclusive_counts(annotated: str) -> dict[str, int]:
    """{function: inclusive instructions} from `callgrind_annotate --inclusive=yes`."""
    counts: dict[str, int] = {}
    for count, name in _ANNOTATED.findall(annotated):
        value = int(count.replace(",", ""))
        counts[name] = max(counts.get(name, 0), value)
    return counts


def measurer_for(board: Board, kernels: str, root: Path, runner: Runner | None = None) -> Measurer:
    if board.kind == "unix":
        return CallgrindMeasurer(board, kernels, root, runner)
    if board.kind == "qemu":
        return Measurer(board, kernels, root, runner)
    raise EarshotError(f"{board.name}: benchmarks run on the Unix port and QEMU boards only")
