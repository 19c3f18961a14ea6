"""The shape of bench.json (documented in docs/BENCHMARKS.md), checked key by key."""

from __future__ import annotations

from typing import Any

from ..errors import EarshotError

NUMBER = (int, float)

TOP_KEYS = ("schema", "generated", "commit", "tools", "config", "targets", "goals")
COMMIT_KEYS = ("describe", "commit", "dirty")
MODEL_KEYS = (
    "instructions",
    "macs",
    "instructions_per_mac",
    "arena_bytes",
    "kernels",
    "reference",
    "speedup",
    "instructions_spread",
)
PIPELINE_KEYS = (
    "instructions_per_audio_second",
    "instructions_per_audio_second_gated",
    "ram_bytes",
    "heap_bytes",
    "static_ram_bytes",
)
FLASH_KEYS = ("cmodule_bytes", "package_bytes", "models")
GOAL_KEYS = ("id", "goal", "limit", "measured", "met", "margin")


def _need(node: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(node, dict):
        raise EarshotError(f"bench.json: {where} is not an object")
    for key in keys:
        if key not in node:
            raise EarshotError(f"bench.json: {where} has no {key!r}")


def _number(value: Any, where: str) -> None:
    if not isinstance(value, NUMBER) or isinstance(value, bool) or value < 0:
        raise EarshotError(f"bench.json: {where} is not a non-negative number: {value!r}")


def validate(data: Any) -> None:
    """Raise EarshotError naming the first missing or malformed entry."""
    _need(data, TOP_KEYS, "the file")
    _need(data["commit"], COMMIT_KEYS, "commit")
    kernels = set(data["config"].get("kernels", []))
    with_reference = kernels == {"optimized", "reference"}
    for t, target in data["targets"].items():
        _need(target, ("models", "frontends", "pipeline", "flash"), f"targets.{t}")
        for m, model in target["models"].items():
            where = f"targets.{t}.models.{m}"
            _need(model, MODEL_KEYS, where)
            for key in ("instructions", "macs", "instructions_per_mac", "arena_bytes"):
                _number(model[key], f"{where}.{key}")
            for k, kernel in model["kernels"].items():
                _need(kernel, ("instructions", "work", "instructions_per_unit"), f"{where}.{k}")
            ref = model["reference"]
            if with_reference:
                _need(ref, ("instructions", "instructions_per_mac"), f"{where}.reference")
                _number(model["speedup"], f"{where}.speedup")
            elif ref is not None:
                raise EarshotError(f"bench.json: {where}.reference without a reference run")
        for f, fe in target["frontends"].items():
            _need(fe, ("instructions_per_hop",), f"targets.{t}.frontends.{f}")
            _number(fe["instructions_per_hop"], f"targets.{t}.frontends.{f}")
        for m, pipe in target["pipeline"].items():
            _need(pipe, PIPELINE_KEYS, f"targets.{t}.pipeline.{m}")
            for key in PIPELINE_KEYS:
                _number(pipe[key], f"targets.{t}.pipeline.{m}.{key}")
        _need(target["flash"], FLASH_KEYS, f"targets.{t}.flash")
        _number(target["flash"]["cmodule_bytes"], f"targets.{t}.flash.cmodule_bytes")
        _number(target["flash"]["package_bytes"], f"targets.{t}.flash.package_bytes")
    if not isinstance(data["goals"], list):
        raise EarshotError("bench.json: goals is not a list")
    for i, goal in enumerate(data["goals"]):
        _need(goal, GOAL_KEYS, f"goals[{i}]")
