"""Runs every measurement on the chosen targets and assembles bench.json."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..boards import Board, load_boards
from ..runner import Runner
from .goals import evaluate
from .measure import Figures, Measurer, measurer_for
from .modelinfo import MAC_KERNELS, ModelInfo, load_model_info
from .provenance import commit_info, compiler_flags, tool_versions
from .sizes import cmodule_totals, frozen_sizes
from .snippets import GATE_DBFS, NOISE_AMPLITUDE
from .stats import MAX_SPREAD, summary

SCHEMA_VERSION = 1

# Published figures quoted beside ours (docs/BENCHMARKS.md).
COMPARISON = {
    "cmsis_nn_v7_ds_cnn_m4_instructions": 7.70e6,
    "cmsis_nn_v7_ds_cnn_m4_instructions_per_mac": 2.90,
    "cmsis_nn_v7_ds_cnn_m3_instructions": 10.53e6,
    "tflm_micro_speech_m4_instructions": 1.49e6,
    "tflm_micro_frontend_instructions_per_hop": 86.3e3,
}


@dataclass(frozen=True)
class Settings:
    targets: list[str]
    models: list[str]
    kernels: list[str]
    repeat: int
    frontend_hops: int
    pipeline_seconds: float
    quick: bool


def quick_settings(targets: list[str], models: list[str], kernels: list[str]) -> Settings:
    return Settings(targets, models, kernels, 2, 10, 0.5, True)


def full_settings(targets: list[str], models: list[str], kernels: list[str]) -> Settings:
    return Settings(targets, models, kernels, 3, 50, 2.0, False)


def _log(message: str) -> None:
    print(f"earshot bench: {message}", file=sys.stderr, flush=True)


class Collector:
    """Records each measurement's median and spread, and any spread above MAX_SPREAD."""

    def __init__(self) -> None:
        self.repeatability: list[dict[str, Any]] = []

    def median(self, what: str, figures: Figures) -> dict[str, Any]:
        stats = summary(figures.runs)
        if stats["spread"] > MAX_SPREAD:
            self.repeatability.append({"measurement": what, "spread": stats["spread"]})
            _log(f"warning: {what} varies by {stats['spread']:.2%} between runs")
        return stats


def _kernel_figures(info: ModelInfo, figures: Figures) -> dict[str, Any]:
    work = info.work_by_kernel()
    out: dict[str, Any] = {}
    for kernel in sorted(work):
        runs = [k.get(kernel, 0.0) for k in figures.kernels]
        instructions = summary(runs)["median"] if runs else None
        unit = "MAC" if kernel in MAC_KERNELS else "element"
        out[kernel] = {
            "instructions": instructions,
            "work": work[kernel],
            "unit": unit,
            "instructions_per_unit": round(instructions / work[kernel], 3)
            if instructions is not None and work[kernel]
            else None,
        }
    return out


def _model_entry(info: ModelInfo, figures: Figures, stats: dict[str, Any]) -> dict[str, Any]:
    instructions = stats["median"]
    return {
        "instructions": instructions,
        "instructions_runs": stats["runs"],
        "instructions_spread": stats["spread"],
        "macs": info.macs,
        "instructions_per_mac": round(instructions / info.macs, 3) if info.macs else None,
        "arena_bytes": figures.extra.get("arena_bytes", info.arena_bytes),
        "kernels": _kernel_figures(info, figures),
        **({"memory": figures.extra["memory"]} if "memory" in figures.extra else {}),
    }


def primary_kernels(kernels: list[str]) -> str:
    """The build whose figures are the main ones: optimized if measured."""
    return "optimized" if "optimized" in kernels else kernels[0]


def bench_target(
    board: Board,
    infos: list[ModelInfo],
    settings: Settings,
    root: Path,
    col: Collector,
    runner: Runner | None = None,
) -> dict[str, Any]:
    """Every figure of one target; runner, if given, runs the primary build."""
    primary = primary_kernels(settings.kernels)
    build = board.firmware_path(root, primary).parent
    entry: dict[str, Any] = {
        "kind": board.kind,
        "core": board.core,
        "clock_hz": board.clock_hz or None,
        "heap_bytes": board.heap_bytes or None,
        "method": "callgrind Ir" if board.kind == "unix" else "qemu -icount shift=0, SysTick",
        "instructions_per_cycle": None if board.kind == "unix" else 1e9 / board.clock_hz,
        "compiler_flags": compiler_flags(
            root, board.name, board.port, root / "build/deps/micropython"
        ),
        "models": {},
        "skipped": {},
        "frontends": {},
        "pipeline": {},
    }
    size_tool = "size" if board.kind == "unix" else "arm-none-eabi-size"
    module = cmodule_totals(build, size_tool)
    package, model_flash = frozen_sizes(build)
    entry["flash"] = {
        "cmodule_bytes": module.flash,
        "cmodule_text_rodata_bytes": module.text,
        "package_bytes": package,
        "models": {i.name: model_flash.get(i.name) for i in infos},
        "method": "linker map" if (build / "firmware.map").is_file() else "object sizes",
    }
    entry["static_ram"] = {"cmodule_bytes": module.static_ram}

    if board.kind == "unix":
        # Each callgrind repetition is two runs of the whole firmware: two are enough.
        settings = replace(settings, repeat=min(settings.repeat, 2))
    entry["repeat"] = settings.repeat
    for kernels in sorted(settings.kernels, key=lambda k: k != primary):
        measurer = measurer_for(board, kernels, root, runner if kernels == primary else None)
        try:
            _bench_variant(
                measurer, kernels == primary, entry, infos, settings, col, module.static_ram
            )
        finally:
            measurer.close()
    for model in entry["models"].values():
        ref = model.get("reference")
        model["speedup"] = round(ref["instructions"] / model["instructions"], 3) if ref else None
        model.setdefault("reference", None)
    return entry


def _bench_variant(
    m: Measurer,
    primary: bool,
    entry: dict[str, Any],
    infos: list[ModelInfo],
    settings: Settings,
    col: Collector,
    static_ram: int,
) -> None:
    tag = f"{m.board.name} ({m.kernels})"
    for info in infos:
        t0 = time.monotonic()
        figures = m.model(info, settings.repeat)
        if figures.error:
            entry["skipped"][info.name] = figures.error
            _log(f"{tag} {info.name}: skipped: {figures.error}")
            continue
        stats = col.median(f"{tag} {info.name} inference", figures)
        figs = _model_entry(info, figures, stats)
        _log(
            f"{tag} {info.name}: {figs['instructions']:,} instructions "
            f"({time.monotonic() - t0:.1f} s)"
        )
        if primary:
            entry["models"][info.name] = figs
        elif info.name in entry["models"]:
            entry["models"][info.name]["reference"] = figs
    if not primary:
        return
    done: set[str] = set()
    for info in infos:
        if info.frontend is None or info.name in entry["skipped"]:
            continue
        if info.frontend not in done:
            done.add(info.frontend)
            fe = m.frontend(info, settings.repeat, settings.frontend_hops)
            if fe.error:
                entry["skipped"][f"frontend {info.frontend}"] = fe.error
            else:
                stats = col.median(f"{tag} {info.frontend} front end", fe)
                entry["frontends"][info.frontend] = {
                    "model": info.name,
                    "instructions_per_hop": stats["median"],
                    "runs": stats["runs"],
                    "spread": stats["spread"],
                    "hop_samples": info.hop_samples,
                    **({"memory": fe.extra["memory"]} if "memory" in fe.extra else {}),
                }
                _log(f"{tag} {info.frontend}: {stats['median']:,} instructions per hop")
        _bench_pipeline(m, entry, info, settings, col, static_ram)


def _bench_pipeline(
    m: Measurer,
    entry: dict[str, Any],
    info: ModelInfo,
    settings: Settings,
    col: Collector,
    static_ram: int,
) -> None:
    tag = f"{m.board.name} ({m.kernels}) {info.name} pipeline"
    plain = m.pipeline(info, False, settings.repeat, settings.pipeline_seconds)
    if plain.error:
        entry["skipped"][f"pipeline {info.name}"] = plain.error
        _log(f"{tag}: skipped: {plain.error}")
        return
    gated = m.pipeline(info, True, settings.repeat, settings.pipeline_seconds)
    s_plain = col.median(tag, plain)
    s_gated = col.median(tag + " (gated)", gated)
    heap = int(plain.extra["heap_bytes"])
    entry["pipeline"][info.name] = {
        "instructions_per_audio_second": s_plain["median"],
        "instructions_per_audio_second_gated": s_gated["median"],
        "runs": s_plain["runs"],
        "runs_gated": s_gated["runs"],
        "spread": s_plain["spread"],
        "spread_gated": s_gated["spread"],
        "ram_bytes": heap + static_ram,
        "heap_bytes": heap,
        "static_ram_bytes": static_ram,
        "arena_bytes": info.arena_bytes,
        "inferences_per_second": info.sample_rate / info.hop_samples / info.hops_per_inference,
        "gated_inferences": gated.extra["inferences"],
    }
    _log(
        f"{tag}: {s_plain['median']:,} / {s_gated['median']:,} (gated) instructions per "
        f"audio second, {heap + static_ram:,} bytes RAM"
    )


def run_bench(settings: Settings, root: Path, runner: Runner | None = None) -> dict[str, Any]:
    """bench.json's content; runner, if given, runs the primary build of the one target."""
    boards = load_boards(root)
    infos = [load_model_info(root, name) for name in settings.models]
    col = Collector()
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit_info(root),
        "tools": tool_versions(),
        "config": {
            "quick": settings.quick,
            "repeat": settings.repeat,
            "kernels": settings.kernels,
            "primary_kernels": primary_kernels(settings.kernels),
            "frontend_hops": settings.frontend_hops,
            "pipeline_seconds": settings.pipeline_seconds,
            "noise_amplitude": NOISE_AMPLITUDE,
            "gate_dbfs": GATE_DBFS,
            "max_spread": MAX_SPREAD,
        },
        "comparison": COMPARISON,
        "targets": {},
    }
    for name in settings.targets:
        _log(f"{name}: measuring")
        data["targets"][name] = bench_target(boards[name], infos, settings, root, col, runner)
    data["repeatability"] = col.repeatability
    data["goals"] = evaluate(data)
    return data
