"""What the benchmark needs to know of a model, read from its files in models/<name>/:
operators with their kernel type and work (MACs, or elements for non-MAC kernels), the
arena, the front end and the default inference rate."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from math import prod
from pathlib import Path

from ..modelfile.layout import OpCode
from ..modelfile.reader import read_model
from ..modelfile.records import ModelFile, OpRecord, PoolParams, WeightedParams

# Kernel type of each opcode, as the benchmark groups them.
KERNEL_OF = {
    OpCode.CONV_2D: "conv",
    OpCode.DEPTHWISE_CONV_2D: "depthwise",
    OpCode.FULLY_CONNECTED: "fully_connected",
    OpCode.AVERAGE_POOL_2D: "pooling",
    OpCode.MAX_POOL_2D: "pooling",
    OpCode.ADD: "add",
    OpCode.SOFTMAX: "softmax",
}
KERNEL_TYPES = ("conv", "depthwise", "fully_connected", "pooling", "softmax", "add")
MAC_KERNELS = ("conv", "depthwise", "fully_connected")
# The C entry point of each kernel (callgrind's per-function counts on the Unix port).
KERNEL_FUNCTIONS = {
    "es_conv_s8": "conv",
    "es_depthwise_conv_s8": "depthwise",
    "es_fully_connected_s8": "fully_connected",
    "es_avg_pool_s8": "pooling",
    "es_max_pool_s8": "pooling",
    "es_add_s8": "add",
    "es_softmax_s8": "softmax",
}


@dataclass(frozen=True)
class OpInfo:
    kernel: str
    work: int  # MACs for conv / depthwise / fully connected, elements (x window) otherwise


@dataclass(frozen=True)
class ModelInfo:
    name: str
    esm_bytes: int
    arena_bytes: int
    ops: tuple[OpInfo, ...]
    frontend: str | None  # tflm_micro / mfcc / logmel, None for non-audio models
    hop_samples: int
    sample_rate: int
    hops_per_inference: int

    @property
    def macs(self) -> int:
        return sum(op.work for op in self.ops if op.kernel in MAC_KERNELS)

    def work_by_kernel(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for op in self.ops:
            totals[op.kernel] = totals.get(op.kernel, 0) + op.work
        return totals


def op_work(model: ModelFile, op: OpRecord) -> int:
    """MACs of a weighted op (as the converter's report counts them); output elements
    times the window for pooling; elements for add and softmax."""
    out = prod(model.tensors[op.output].shape)
    params = op.params
    if op.opcode == OpCode.FULLY_CONNECTED:
        filt = model.tensors[op.inputs[1] or 0].shape
        in_count = prod(model.tensors[op.inputs[0] or 0].shape)
        return in_count // filt[1] * filt[0] * filt[1]
    if isinstance(params, WeightedParams):
        in_ch = model.tensors[op.inputs[0] or 0].shape[-1]
        taps = params.filter_h * params.filter_w
        return out * taps * (1 if op.opcode == OpCode.DEPTHWISE_CONV_2D else in_ch)
    if isinstance(params, PoolParams):
        return out * params.filter_h * params.filter_w
    return out


def load_model_info(root: Path, name: str) -> ModelInfo:
    folder = root / "models" / name
    data = (folder / f"{name}.esm").read_bytes()
    model = read_model(data)
    toml = tomllib.loads((folder / "model.toml").read_text())
    fe = toml.get("frontend")
    rate = int(fe["sample_rate"]) if fe else 0
    return ModelInfo(
        name=name,
        esm_bytes=len(data),
        arena_bytes=model.arena_size,
        ops=tuple(OpInfo(KERNEL_OF[op.opcode], op_work(model, op)) for op in model.ops),
        frontend=str(fe["type"]) if fe else None,
        hop_samples=rate * int(fe["hop_ms"]) // 1000 if fe else 0,
        sample_rate=rate,
        hops_per_inference=int(toml.get("streaming", {}).get("hops_per_inference", 1)),
    )


def model_names(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / "models").glob("*/model.toml"))
