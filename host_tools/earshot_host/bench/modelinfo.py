"""What the benchmark needs to know of a model, read from its files in models/<name>/:
operators with their kernel type and work (MACs, or elements for non-MAC kernels), the
arena, the front end and the default inference rate."""

from __future__ import annotations

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
    # The streaming (microWakeWord) models' data movement and activations.
    OpCode.ASSIGN_VARIABLE: "streaming",
    OpCode.READ_VARIABLE: "streaming",
    OpCode.CONCATENATION: "streaming",
    OpCode.STRIDED_SLICE: "streaming",
    OpCode.LOGISTIC: "activation",
    OpCode.QUANTIZE: "activation",
}
KERNEL_TYPES = (
    "conv", "depthwise", "fully_connected", "pooling", "softmax", "add", "streaming", "activation"
)  # fmt: skip
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
    "es_copy_variable": "streaming",
    "es_concatenation": "streaming",
    "es_strided_slice": "streaming",
    "es_logistic": "activation",
    "es_quantize": "activation",
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
    # Front end and stride as the model file carries them (a wake-word model's come from
    # its ESPHome manifest, not model.toml).
    fe = model.metadata.get("frontend")
    rate = int(fe["sample_rate"]) if fe else 0
    return ModelInfo(
        name=name,
        esm_bytes=len(data),
        arena_bytes=model.arena_size,
        ops=tuple(OpInfo(KERNEL_OF[op.opcode], op_work(model, op)) for op in model.ops),
        frontend=str(fe["type"]) if fe else None,
        hop_samples=rate * int(fe["hop_ms"]) // 1000 if fe else 0,
        sample_rate=rate,
        hops_per_inference=int(model.metadata.get("streaming", {}).get("hops_per_inference", 1)),
    )


def model_names(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / "models").glob("*/model.toml"))
