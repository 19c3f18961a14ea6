"""Will a model run always-on on a board? Flash, RAM, latency and CPU duty cycle, from
the board table (core, clock, RAM, flash, heap), the model file (MACs, arena, front end,
inference rate) and the instruction counts that `make bench` measured for the core.

The bench file (build/bench.json, else docs/bench.json) is read as
    targets.<target>.models.<model>.instructions_per_mac          (required)
    targets.<target>.models.<model>.frontend_instructions_per_hop (optional)
    targets.<target>.frontends.<type>.instructions_per_hop        (optional)
where <target> is a board of boards/boards.toml; a board takes the figures of the bench
target with its core (or, for the Cortex-M0+, the Cortex-M0: the same ARMv6-M
instructions). A model the bench did not run takes the median instructions per MAC of
the core. Time is instructions / clock: one instruction per cycle, no wait states.

RAM is the MicroPython heap the detector needs: the model's arena and the pipeline's
buffers, computed as firmware/earshot/stream.py allocates them (audio ring, front-end
state, feature frame and window, detector, UART line buffer), plus the interpreter's
own objects (PYTHON_OBJECTS_BYTES, measured).

A board with two cores (boards.toml `cores`) takes the first arrangement of
earshot_host.bench.cores that keeps up: one core, the model on the second core ("split",
`--cores 2`: the window then gets a buffer of its own and a microphone's ring an
inference's worth of hops), or the inferences alternating between the cores ("alternate",
`--cores 2 --alternate`: a second arena as well); the busier core's share and the
headroom are then the verdict's.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .bench.cores import CoreLoad, arrangements, choose
from .boards import Board, load_boards
from .catalog import load_catalog
from .errors import EarshotError
from .model_spec import resolve_model
from .modelfile import ModelFile, OpCode, read_model
from .paths import project_root

# Heap taken by MicroPython itself once the detector runs, beyond the buffers counted
# below: the boot state, the imported earshot modules, and the Python objects (headers,
# memoryviews, dicts, GC block rounding) of the model and pipeline. Measured on qemu_m4
# (MicroPython v1.25.0): 928 B after boot + 2928 B of imports + 592..832 B of model
# object + 3090..3290 B of pipeline objects for micro_speech, mlperf_kws, mlperf_sww.
PYTHON_OBJECTS_BYTES = 8 * 1024
# The C front-end object beyond its state buffers (descriptors of its tables); measured.
FRONTEND_OBJECT_BYTES = 368
# Audio ring slots (firmware/earshot/__main__.py): a microphone keeps talking while the
# model runs (4 slots); audio pulled from the host's stream needs 2 (plus a line buffer).
MIC_RING_SLOTS = 4
STREAM_RING_SLOTS = 2
# Flash of the firmware without models, by MicroPython port, when no build is here to
# measure: qemu measured (build/qemu_m4/firmware.elf text minus the frozen .esm files);
# rp2 and stm32 are typical MicroPython v1.25 builds plus the earshot module (estimates).
FIRMWARE_FLASH_ESTIMATE = {"qemu": 232 * 1024, "rp2": 420 * 1024, "stm32": 400 * 1024}
# A board whose heap size is not in the table is assumed to give this share of its RAM.
HEAP_SHARE = 0.75
SAME_INSTRUCTIONS = {"cortex-m0+": "cortex-m0"}
# The device options of each arrangement of the cores (earshot.cli), and its words.
CORE_OPTIONS = {"one core": "--cores 1", "split": "--cores 2", "alternate": "--cores 2 --alternate"}
CORE_WORDS = {
    "one core": "on one core",
    "split": "with the model on the second core",
    "alternate": "by alternating inferences between the 2 cores",
}


@dataclass
class Bench:
    """Instruction counts measured by `make bench` for one core, or cycles measured in a
    board's emulator (unit "cycles": rp2040js's clock counts cycles, not instructions)."""

    path: Path
    target: str
    core: str
    instructions_per_mac: float
    ipm_source: str  # which model's figure, or "median of ..."
    frontend_per_hop: float | None
    unit: str = "instructions"


@dataclass
class PipelineRam:
    arena: int
    ring: int
    frontend_state: int
    feature_frame: int
    feature_window: int
    detector: int
    line_buffer: int
    python_objects: int
    second_arena: int = 0  # alternating cores: the second core's Model

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


@dataclass
class Profile:
    board: str
    core: str
    clock_hz: int
    model: str
    macs: int
    model_bytes: int
    firmware_bytes: int
    firmware_source: str
    flash_bytes: int
    flash_available: int
    ram: PipelineRam
    heap_available: int
    heap_source: str
    bench: Bench
    inference_instructions: int
    inference_ms: float
    frontend_hop_ms: float | None
    hop_ms: int | None
    hops_per_inference: int | None
    duty_cycle: float | None  # fraction of the CPU, always-on (one core)
    verdict: str
    cores: int = 1
    arrangement: str = "one core"  # "one core", "split" or "alternate" (bench.cores)
    core_loads: list[float] = field(default_factory=list)  # each core's share, always-on
    headroom: float | None = None  # 1 - the busiest core's share
    reasons: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ram"]["total"] = self.ram.total
        data["bench"]["path"] = str(self.bench.path)
        data["fits"] = self.fits
        return data

    def format_text(self) -> str:
        kib = 1024
        ram = self.ram
        lines = [
            f"{self.model} on {self.board} ({self.core}, {self.clock_hz / 1e6:g} MHz)",
            f"flash   {self.flash_bytes / kib:8.1f} KiB of {self.flash_available / kib:.0f} KiB"
            f"  (firmware {self.firmware_bytes / kib:.1f} KiB {self.firmware_source}, "
            f"model {self.model_bytes / kib:.1f} KiB)",
            f"RAM     {ram.total / kib:8.1f} KiB of {self.heap_available / kib:.0f} KiB heap"
            f"  ({self.heap_source})",
            f"          arena {ram.arena:,} B, ring {ram.ring:,} B, front end "
            f"{ram.frontend_state:,} B, features {ram.feature_frame + ram.feature_window:,} B, "
            f"detector {ram.detector:,} B, line buffer {ram.line_buffer:,} B, interpreter "
            f"{ram.python_objects:,} B"
            + (f", second arena {ram.second_arena:,} B" if ram.second_arena else ""),
            f"MACs    {self.macs:,} per inference; {self.bench.instructions_per_mac:.2f} "
            f"{self.bench.unit}/MAC on {self.bench.core} ({self.bench.ipm_source}; "
            f"{self.bench.path})",
            f"latency {self.inference_ms:8.2f} ms per inference "
            f"({self.inference_instructions:,} {self.bench.unit})",
        ]
        if self.duty_cycle is not None and self.hop_ms and self.hops_per_inference:
            fe = (
                f"front end {self.frontend_hop_ms:.2f} ms per {self.hop_ms} ms hop"
                if self.frontend_hop_ms is not None
                else "front end not measured by make bench (not counted)"
            )
            lines.append(
                f"duty    {self.duty_cycle * 100:8.1f} % of the CPU always-on: one inference "
                f"every {self.hop_ms * self.hops_per_inference} ms, {fe}"
            )
        else:
            lines.append("duty         - (no audio front end: not an always-on audio model)")
        if self.cores > 1 and self.core_loads and self.headroom is not None:
            shares = ", ".join(f"core {i} {s * 100:.1f} %" for i, s in enumerate(self.core_loads))
            lines.append(
                f"cores   {self.arrangement} ({CORE_OPTIONS[self.arrangement]}): {shares}; "
                f"headroom {self.headroom * 100:.1f} %"
            )
        lines.append(self.verdict)
        return "\n".join(lines)


def model_macs(model: ModelFile) -> int:
    """Multiply-accumulates per inference: every weighted op's outputs times its taps
    (as the converter's report counts them)."""
    total = 0
    for op in model.ops:
        if op.opcode not in (OpCode.CONV_2D, OpCode.DEPTHWISE_CONV_2D, OpCode.FULLY_CONNECTED):
            continue
        weights = op.inputs[1]
        assert weights is not None
        shape = model.tensors[weights].shape
        outputs = model.tensors[op.output].element_count
        count = 1
        for dim in shape:
            count *= dim
        # Depthwise filters are [1, kh, kw, channels]; the others [out, kh, kw, in] or [out, in].
        depthwise = op.opcode == OpCode.DEPTHWISE_CONV_2D
        taps = count // shape[-1] if depthwise else count // shape[0]
        total += outputs * taps
    return total


def frontend_state_bytes(frontend: dict[str, Any]) -> int:
    """The C front end's state, as es_fe_state_bytes (dsp/frontend.c) computes it."""
    scalars = frontend.get("scalars", {})

    def round8(n: int) -> int:
        return (n + 7) & ~7

    window = int(scalars["window_size"])
    fft = int(scalars["fft_size"])
    channels = int(scalars["channels"])
    tflm = frontend.get("type") == "tflm_micro"
    work = round8((fft + 2) * (2 if tflm else 4))
    frame = round8((window + 4) * 2)  # frame[0] 2 bytes before an 8-byte boundary
    plan = round8((channels + 1) * 6) if tflm else 0  # the filterbank's slots
    return frame + work + round8(channels * 8) + plan + FRONTEND_OBJECT_BYTES


def pipeline_ram(
    model: ModelFile,
    hops_per_inference: int | None = None,
    microphone: bool = False,
    arrangement: str = "one core",
) -> tuple[PipelineRam, int | None, int | None]:
    """Heap the always-on detector needs for a model; also (hop_ms, hops per inference).
    The rate is the model's own (its metadata) unless given. microphone: audio from an I2S
    microphone (else from the host's line stream). arrangement: of the cores (bench.cores):
    with the model on a second core the window is a buffer of its own and a microphone's
    ring holds an inference's worth of hops; alternating adds a second arena."""
    meta = model.metadata
    frontend = meta.get("frontend")
    arena = model.arena_size
    if not frontend:
        ram = PipelineRam(arena, 0, 0, 0, 0, 0, 0, PYTHON_OBJECTS_BYTES)
        return ram, None, None
    scalars = frontend.get("scalars", {})
    hop = int(scalars["window_step"])
    rate = int(scalars["sample_rate"])
    hop_ms = hop * 1000 // rate
    features = int(scalars.get("coefficients", scalars["channels"]))
    inputs = sum(model.tensors[i].element_count for i in model.inputs)
    every = hops_per_inference or int(meta.get("streaming", {}).get("hops_per_inference", 1))
    detector = dict(meta.get("detector", {}))
    classes = max(1, len(meta.get("labels", [])))
    capacity = max(
        int(detector.get("minimum_count", 3)),
        int(detector.get("average_window_ms", 1000)) // (hop_ms * every) + 1,
    )
    # The window slides inside the model's input where the plan keeps it (stream.py);
    # peak normalization keeps its own window and the per-hop peaks.
    normalize = bool(meta.get("streaming", {}).get("normalize"))
    frames = int(frontend.get("frames", 0)) or inputs // max(1, features)
    two = arrangement != "one core"
    slots = MIC_RING_SLOTS if microphone else STREAM_RING_SLOTS
    if two and microphone:
        slots = max(slots, every + 1)
    # (Two cores: the other core reads the input while this one shifts frames in.)
    window = inputs + 2 * frames if normalize else (inputs if two else 0)
    ram = PipelineRam(
        arena=arena,
        ring=2 * hop * slots,
        frontend_state=frontend_state_bytes(frontend),
        feature_frame=features,
        feature_window=window,
        detector=capacity * classes + 4 * capacity + 4 * classes + classes,
        line_buffer=0 if microphone else 4 * ((2 * hop + 2) // 3) + 32,
        python_objects=PYTHON_OBJECTS_BYTES,
        second_arena=arena if arrangement == "alternate" else 0,
    )
    return ram, hop_ms, every


def bench_path(explicit: Path | None = None) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            raise EarshotError(f"no bench file {explicit}")
        return explicit
    root = project_root()
    for path in (root / "build" / "bench.json", root / "docs" / "bench.json"):
        if path.is_file():
            return path
    raise EarshotError(
        "no instruction counts: neither build/bench.json nor docs/bench.json exists "
        "(run `make bench`)"
    )


def load_bench(path: Path, board: Board, model_name: str, fe_type: str | None) -> Bench:
    """The bench figures for the board's core."""
    try:
        data = json.loads(path.read_text())
        targets = data["targets"]
        assert isinstance(targets, dict)
    except (OSError, ValueError, KeyError, AssertionError, TypeError) as err:
        raise EarshotError(f"{path} is not a bench file with a `targets` table ({err})") from err
    boards = load_boards()
    core = SAME_INSTRUCTIONS.get(board.core, board.core)
    names = [board.name] if board.name in targets else []
    names += [t for t in targets if t in boards and boards[t].core == core and t != board.name]
    for target in names:
        models = targets[target].get("models", {}) if isinstance(targets[target], dict) else {}
        figures = {
            m: float(v["instructions_per_mac"])
            for m, v in models.items()
            if isinstance(v, dict) and isinstance(v.get("instructions_per_mac"), int | float)
        }
        if not figures:
            continue
        if model_name in figures:
            ipm, source = figures[model_name], f"{model_name} on {target}"
        else:
            ipm = statistics.median(figures.values())
            source = f"median of {', '.join(sorted(figures))} on {target}"
        fe_hop = models.get(model_name, {}).get("frontend_instructions_per_hop")
        if fe_hop is None and fe_type:
            fe_hop = (
                targets[target].get("frontends", {}).get(fe_type, {}).get("instructions_per_hop")
            )
        return Bench(path, target, core, ipm, source, float(fe_hop) if fe_hop else None)
    raise EarshotError(
        f"{path} has no instructions per MAC for {board.core} (the core of {board.name}): "
        "run `make bench`"
    )


def cycles_path(explicit: Path | None = None) -> Path:
    """The emulator cycle table (docs/emulator_cycles.json, written by
    `python -m earshot_host.emulator_cycles`), or the one given."""
    if explicit is not None:
        if not explicit.is_file():
            raise EarshotError(f"no cycles file {explicit}")
        return explicit
    return project_root() / "docs" / "emulator_cycles.json"


def load_cycles(path: Path, board: Board, model_name: str) -> Bench | None:
    """Cycles per MAC and per front-end hop measured in the board's emulator (None when
    the table does not cover the board)."""
    try:
        table = json.loads(path.read_text())["boards"][board.name]
        models = table["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    figures = {m: float(v["cycles_per_mac"]) for m, v in models.items() if v.get("cycles_per_mac")}
    if not figures:
        return None
    emulator = str(table.get("emulator", board.extra.get("emulator", "the emulator")))
    if model_name in figures:
        cpm, source = figures[model_name], f"{model_name} measured in {emulator}"
    else:
        cpm = statistics.median(figures.values())
        source = f"median of {', '.join(sorted(figures))} measured in {emulator}"
    hops = [v.get("frontend_cycles_per_hop") for v in models.values()]
    own = models.get(model_name, {}).get("frontend_cycles_per_hop")
    fe = own if own else next((h for h in hops if h), None)
    return Bench(path, board.name, board.core, cpm, source, float(fe) if fe else None, "cycles")


def firmware_flash(board: Board, model_blobs: int) -> tuple[int, str]:
    """Flash of the firmware without its models: measured from a build of the board's
    port when one is here, else an estimate."""
    import shutil
    import subprocess

    candidates = [board] + [b for b in load_boards().values() if b.port == board.port]
    size_tool = shutil.which("arm-none-eabi-size")
    for candidate in candidates:
        elf = candidate.firmware_path()
        if elf.suffix != ".elf" or not elf.is_file() or size_tool is None:
            continue
        proc = subprocess.run([size_tool, str(elf)], capture_output=True, text=True, check=False)
        try:
            text, data = (int(x) for x in proc.stdout.splitlines()[1].split()[:2])
        except (IndexError, ValueError):
            continue
        return max(0, text + data - model_blobs), f"measured, {candidate.name} build"
    if board.kind not in FIRMWARE_FLASH_ESTIMATE:
        raise EarshotError(f"{board.name}: no flash figures for the {board.kind} port")
    return FIRMWARE_FLASH_ESTIMATE[board.kind], "estimate"


def default_rate(name: str) -> int | None:
    """Hops per inference of a model of models/, from its model.toml."""
    entry = load_catalog().get(name)
    streaming = entry.sections.get("streaming", {}) if entry else {}
    value = streaming.get("hops_per_inference")
    return int(value) if value else None


def frozen_model_bytes() -> int:
    """Bytes of the models frozen into every firmware build (models/*/*.esm)."""
    return sum(p.stat().st_size for p in (project_root() / "models").glob("*/*.esm"))


def profile(
    model_spec: str, board: Board, bench_file: Path | None = None, cycles_file: Path | None = None
) -> Profile:
    """The profile of a model (a name of models/, an .esm or a .tflite) on a board. A board
    that runs in an emulator counting cycles (boards.toml `emulator`) takes the cycles
    measured there when the cycle table covers it; others the instructions of `make bench`
    at one per cycle."""
    if board.kind == "unix" or not board.ram_bytes or not board.flash_bytes or not board.clock_hz:
        raise EarshotError(
            f"{board.name} has no RAM, flash and clock figures in boards/boards.toml: "
            "profile a microcontroller board"
        )
    source = resolve_model(model_spec)
    model = read_model(source.blob)
    macs = model_macs(model)
    rate = default_rate(source.name) if source.frozen else None
    microphone = "i2s_id" in board.extra
    ram, hop_ms, every = pipeline_ram(model, rate, microphone)
    fe_type = (model.metadata.get("frontend") or {}).get("type")
    cycles = None
    if board.extra.get("emulator"):
        cycles = load_cycles(cycles_path(cycles_file), board, source.name)
    bench = cycles or load_bench(bench_path(bench_file), board, source.name, fe_type)
    firmware, firmware_source = firmware_flash(board, frozen_model_bytes())
    flash = firmware + len(source.blob)
    if board.heap_bytes:
        heap, heap_source = board.heap_bytes, "the firmware's heap"
    else:
        heap = int(board.ram_bytes * HEAP_SHARE)
        heap_source = f"assumed {HEAP_SHARE:.0%} of {board.ram_bytes // 1024} KiB RAM"
    instructions = round(macs * bench.instructions_per_mac)
    inference_s = instructions / board.clock_hz
    fe_s = None if bench.frontend_per_hop is None else bench.frontend_per_hop / board.clock_hz
    duty = None
    load: CoreLoad | None = None
    if hop_ms and every:
        duty = (inference_s + (fe_s or 0.0) * every) / (hop_ms * every / 1000)
        if board.cores > 1:
            fe_cycles = bench.frontend_per_hop or 0.0  # (cycles: one instruction each)
            load = choose(
                arrangements(
                    instructions, fe_cycles, every, hop_ms / 1000, board.clock_hz, board.cores
                )
            )
            if load.arrangement != "one core":
                ram, _, _ = pipeline_ram(model, rate, microphone, load.arrangement)
    reasons = []
    if ram.total > heap:
        reasons.append(f"RAM: needs {ram.total:,} B of heap, {heap:,} B available")
    if flash > board.flash_bytes:
        reasons.append(f"flash: needs {flash:,} B, the part has {board.flash_bytes:,} B")
    if load is not None and not load.fits:
        reasons.append(
            f"duty cycle {load.busiest * 100:.0f}% > 100% on the busier of {board.cores} cores "
            f"at best ({load.arrangement}): it cannot keep up with the audio"
        )
    elif load is None and duty is not None and duty > 1.0:
        reasons.append(f"duty cycle {duty * 100:.0f}% > 100%: it cannot keep up with the audio")
    verdict = "fits" if not reasons else "does not fit, because " + "; ".join(reasons)
    if not reasons and load is not None and load.arrangement != "one core":
        verdict = (
            f"fits always-on {CORE_WORDS[load.arrangement]} "
            f"({CORE_OPTIONS[load.arrangement]}): the busier core {load.busiest * 100:.1f} % "
            f"busy, {load.headroom * 100:.1f} % headroom"
        )
    return Profile(
        board=board.name,
        core=board.core,
        clock_hz=board.clock_hz,
        model=source.name,
        macs=macs,
        model_bytes=len(source.blob),
        firmware_bytes=firmware,
        firmware_source=firmware_source,
        flash_bytes=flash,
        flash_available=board.flash_bytes,
        ram=ram,
        heap_available=heap,
        heap_source=heap_source,
        bench=bench,
        inference_instructions=instructions,
        inference_ms=inference_s * 1000,
        frontend_hop_ms=None if fe_s is None else fe_s * 1000,
        hop_ms=hop_ms,
        hops_per_inference=every,
        duty_cycle=duty,
        verdict=verdict,
        reasons=reasons,
        cores=board.cores,
        arrangement=load.arrangement if load is not None else "one core",
        core_loads=list(load.shares) if load is not None else [],
        headroom=load.headroom if load is not None else None,
    )
