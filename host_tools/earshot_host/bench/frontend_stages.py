"""Where a TFLM micro front end's hop goes, stage by stage, on bare-metal cores.

    python -m earshot_host.bench.frontend_stages [--model okay_nabu] [--cores m4,m0,m0plus]
        [--clip yes_1000ms | --noise AMPLITUDE] [--hops 12] [--kernels reference]

The real dsp/ sources are compiled into a small bare-metal harness (bench/fe_harness/:
startup, semihosting output, no MicroPython) with the model's front-end tables and a clip
baked in, and run hop by hop:

- cores m4 and m0 on QEMU (the machines of qemu_m4 and qemu_m0; one instruction per
  translation block, every block logged): exact instruction counts per address, as
  `-icount shift=0` counts them;
- core m0plus on rp2040js's Cortex-M0+ (the emulated Pico's core, without the rest of the
  board): exact cycles per address, at the emulator's cycle costs.

Counts are grouped by function, and helpers (libgcc, memcpy, bit lengths, square-root
steps) are charged to the stage that called them. Every frame the harness prints is
checked against the host reference (earshot_host.frontend.tflm_micro), integer for
integer, so a faster stage is also a right one. The same sources in the firmware cost
about the same; `make bench` (QEMU boards) and `python -m earshot_host.emulator_cycles`
(the pico_i2s image in rp2040js) measure the firmware itself.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..boards import load_boards
from ..errors import EarshotError
from ..features import ModelFrontend, model_frontend
from ..frontend.tflm_micro import raw_to_int8, tflm_micro_features
from ..frontend.wav import read_wav
from ..model_spec import resolve_model
from ..modelfile import read_model
from ..paths import project_root
from ..runner.rp2040js import node_modules

HARNESS = Path(__file__).resolve().parent / "fe_harness"
DSP = project_root() / "firmware" / "cmodules" / "earshot"

# metadata name -> es_fe_t field (modfrontend.c's fe_fields, TFLM part).
SCALARS = {
    "sample_rate": "sample_rate",
    "window_size": "window",
    "window_step": "hop",
    "fft_size": "fft.size",
    "channels": "channels",
    "fb_start_index": "fb_start",
    "fb_end_index": "fb_end",
    "nr_smoothing_bits": "nr_smoothing_bits",
    "nr_even_smoothing": "nr_even",
    "nr_odd_smoothing": "nr_odd",
    "nr_min_signal_remaining": "nr_min_remaining",
    "pcan_snr_shift": "pcan_snr_shift",
    "log_scale_shift": "log_scale_shift",
    "log_correction_bits": "log_correction_bits",
    "out_value_scale": "out_scale",
    "out_value_div": "out_div",
    "out_offset": "out_offset",
}
TABLES = {
    "window": "win",
    "fft_twiddles": "fft.twiddles",
    "fft_super_twiddles": "fft.super_twiddles",
    "fft_factors": "fft.factors",
    "fft_perm": "fft.perm",
    "fb_channel_frequency_starts": "fb_freq_starts",
    "fb_channel_weight_starts": "fb_weight_starts",
    "fb_channel_widths": "fb_widths",
    "fb_weights": "fb_weights",
    "fb_unweights": "fb_unweights",
    "pcan_gain_lut": "pcan_gain_lut",
    "log_lut": "log_lut",
}


@dataclass(frozen=True)
class Core:
    name: str
    cflags: tuple[str, ...]
    runner: str  # a QEMU board of boards.toml (its machine), or "rp2040js"
    unit: str  # what is counted


CORES = {
    "m4": Core(
        "m4",
        ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
        "qemu_m4",
        "instructions",
    ),
    "m0": Core("m0", ("-mcpu=cortex-m0", "-mfloat-abi=soft"), "qemu_m0", "instructions"),
    "m0plus": Core("m0plus", ("-mcpu=cortex-m0plus", "-mfloat-abi=soft"), "rp2040js", "cycles"),
}

# Functions charged to the stage that called them.
HELPER = re.compile(
    r"^(__.*|mem(cpy|move|set).*|es_bit_length(32|64)|isqrt.*|es_rd_.*|es_tab_.*|tw16|tw32|\$.*)$"
)
# Stage names of the front end's functions (others keep their own name).
STAGES = {
    "es_tflm_window": "window",
    "es_tflm_window_opt": "window",
    "es_window_pairs_v6m": "window",
    "es_rfft16_run": "fft",
    "es_rfft16_run_simd": "fft",
    "es_rfft16_run_v6m": "fft",
    "stages16": "fft",
    "stages": "fft",
    "es_tflm_filterbank": "filterbank",
    "es_tflm_channels_opt": "filterbank + channels",
    "narrow_channels": "filterbank + channels",
    "es_fb_sums_v6m": "filterbank + channels",
    "es_fb_sums_dsp": "filterbank + channels",
    "sums_then_channels": "filterbank + channels",
    "es_rfft16_r4_row_v6m": "fft",
    "es_rfft16_r4_row_dsp": "fft",
    "es_rfft16_first_dsp": "fft",
    "es_rfft16_split_dsp": "fft",
    "es_rfft16_split_v6m": "fft",
    "es_rfft16_first_v6m": "fft",
    "es_isqrt32_v6m": "filterbank sqrt",
    "root_high": "filterbank sqrt",
    "es_tflm_sqrt64": "filterbank sqrt",
    "es_tflm_noise_reduction": "noise reduction",
    "es_tflm_noise_reduction_opt": "noise reduction",
    "es_tflm_pcan_opt": "pcan",
    "es_tflm_log_out": "log + int8",
    "es_tflm_log_out_opt": "log + int8",
    "es_tflm_pcan": "pcan",
    "wide_dynamic_function": "pcan",
    "es_tflm_log_scale": "log + int8",
    "es_tflm_frame": "frame",
    "es_fe_push_hop": "framing",
}


def _c_bytes(name: str, data: bytes) -> str:
    rows = [", ".join(str(b) for b in data[i : i + 24]) for i in range(0, len(data), 24)]
    body = ",\n    ".join(rows) if rows else "0"
    return f"static const uint8_t {name}[] __attribute__((aligned(16))) = {{\n    {body},\n}};\n"


def fe_data_c(fe: ModelFrontend, audio: np.ndarray, misalign: int = 0) -> str:
    """fe_data.c: fe_setup() fills an es_fe_t from the model's tables (the model file
    itself, placed `misalign` bytes past a 16-byte boundary), and the audio."""
    blob = fe.source.blob
    frontend = read_model(blob).metadata["frontend"]
    if frontend.get("type") != "tflm_micro":
        raise EarshotError(f"{fe.source.name}: the harness runs tflm_micro front ends only")
    # The span of the file that holds the tables, from a 16-byte boundary of the file.
    tables = frontend["tables"]
    first = min(offset for offset, _, _ in tables.values()) & ~15
    last = max(
        offset + (4 if dtype == "int32" else 2) * count for offset, dtype, count in tables.values()
    )
    out = ['#include "dsp/dsp.h"\n', _c_bytes("model", bytes(misalign) + blob[first:last])]
    setup = ["void fe_setup(es_fe_t *fe) {", "    fe->kind = ES_FE_TFLM;"]
    for name, (offset, _dtype, count) in sorted(tables.items()):
        field = TABLES[name]
        setup.append(f"    fe->{field}.p = model + {misalign + offset - first};")
        setup.append(f"    fe->{field}.count = {count};")
    for name, value in sorted(frontend["scalars"].items()):
        if name in SCALARS:
            setup.append(f"    fe->{SCALARS[name]} = {int(value)};")
    setup += [
        "    fe->features = fe->channels;",
        "    fe->fft.n = fe->fft.size / 2;",
        "    fe->fft.stages = fe->fft.factors.count / 2;",
        "}",
    ]
    hops = len(audio) // fe.hop
    samples = ", ".join(str(int(v)) for v in audio[: hops * fe.hop])
    out.append("\n".join(setup) + "\n")
    out.append(f"const int16_t fe_audio[] __attribute__((aligned(4))) = {{ {samples} }};\n")
    out.append(f"const uint32_t fe_audio_hops = {hops};\n")
    return "\n".join(out)


def build(
    core: Core,
    fe: ModelFrontend,
    audio: np.ndarray,
    work: Path,
    kernels: str,
    misalign: int,
    defines: tuple[str, ...] = (),
) -> Path:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        raise EarshotError("needs arm-none-eabi-gcc (make deps installs it)")
    (work / "fe_data.c").write_text(fe_data_c(fe, audio, misalign))
    sources = sorted((DSP / "dsp").glob("*.c"))
    sources += sorted((DSP / "dsp" / "optimized").glob("*.[cS]"))
    linker = HARNESS / ("rp2040.ld" if core.runner == "rp2040js" else "qemu.ld")
    elf = work / f"fe_{core.name}.elf"
    cmd = [
        gcc,
        "-mthumb",
        *core.cflags,
        "-Os",
        "-std=gnu99",
        "-ffunction-sections",
        "-Wall",
        "-Werror",
        "-nostartfiles",
        "--specs=nano.specs",
        f"-DEARSHOT_KERNELS_REFERENCE={1 if kernels == 'reference' else 0}",
        *(f"-D{d}" for d in defines),
        f"-I{DSP}",
        "-T",
        str(linker),
        str(HARNESS / "main.c"),
        str(work / "fe_data.c"),
        *map(str, sources),
        "-lc",
        "-lgcc",
        "-o",
        str(elf),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise EarshotError(f"harness build failed:\n{proc.stderr}")
    return elf


def functions(elf: Path) -> list[tuple[int, str, bool]]:
    """(start address, name, helper) of every function, sorted by address."""
    out = subprocess.run(
        ["arm-none-eabi-nm", "-n", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            found.append((int(parts[0], 16) & ~1, parts[2], bool(HELPER.match(parts[2]))))
    return found


Counts = dict[tuple[str, str], int]  # (function, stage function) -> instructions or cycles


def run_qemu(
    board: str, elf: Path, work: Path, funcs: list[tuple[int, str, bool]], trace: bool = True
) -> tuple[str, list[int], Counts]:
    """Runs the harness on the QEMU machine of a board; with trace, counts every executed
    instruction (one per translation block, each block logged)."""
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        raise EarshotError("needs qemu-system-arm (make deps installs it)")
    b = load_boards()[board]
    log = work / "exec.log"
    cmd = [qemu, "-M", str(b.machine), *b.qemu_args, "-nographic", "-semihosting",
           "-monitor", "none", "-serial", "none", "-icount", "shift=0",
           "-kernel", str(elf)]  # fmt: skip
    if trace:
        cmd += ["-singlestep", "-d", "exec,nochain", "-D", str(log)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    if not trace:
        return proc.stdout + proc.stderr, [], {}
    starts = [f[0] for f in funcs]
    begin = next(f[0] for f in funcs if f[1] == "hop_begin")
    end = next(f[0] for f in funcs if f[1] == "hop_end")
    pattern = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
    index: dict[int, int] = {}
    counts: Counts = defaultdict(int)
    hops: list[int] = []
    inside, count, stage = False, 0, "?"
    with log.open() as f:
        for line in f:
            m = pattern.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16) & ~1
            if pc == begin:
                inside, count = True, 0
            elif pc == end and inside:
                inside = False
                hops.append(count)
            if inside:
                count += 1
                i = index.get(pc)
                if i is None:
                    i = index[pc] = bisect.bisect_right(starts, pc) - 1
                _, name, helper = funcs[i]
                if not helper:
                    stage = name
                counts[(name, stage)] += 1
    log.unlink()
    return proc.stdout + proc.stderr, hops, dict(counts)


def run_rp2040js(
    board: str, elf: Path, work: Path, funcs: list[tuple[int, str, bool]], trace: bool = True
) -> tuple[str, list[int], Counts]:
    """Runs the harness on rp2040js's core, counting cycles (always: it costs little)."""
    node = shutil.which("node")
    if node is None or not (node_modules() / "rp2040js").is_dir():
        raise EarshotError("needs node and rp2040js (make deps installs rp2040js)")
    image = work / "image.bin"
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", str(elf), str(image)], check=True)
    table = work / "functions.json"
    table.write_text(json.dumps(funcs))
    proc = subprocess.run(
        [node, str(HARNESS / "rp2040js_run.mjs"), str(node_modules()), str(image), str(table)],
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    text = proc.stdout + proc.stderr
    m = re.search(r"^PROFILE (.*)$", text, re.M)
    if not m:
        raise EarshotError(f"rp2040js run failed:\n{text[-2000:]}")
    prof = json.loads(m.group(1))
    counts = {tuple(k.split("|", 1)): v for k, v in prof["counts"].items()}
    return text, prof["hops"], counts  # type: ignore[return-value]


def check_frames(output: str, fe: ModelFrontend, audio: np.ndarray) -> int:
    """Compares the harness's frames with the host reference; returns the frame count."""
    raws = [bytes.fromhex(x) for x in re.findall(r"^R ([0-9a-f]+)$", output, re.M)]
    qs = [bytes.fromhex(x) for x in re.findall(r"^Q ([0-9a-f]+)$", output, re.M)]
    if "done" not in output:
        raise EarshotError(f"the harness did not finish:\n{output[-2000:]}")
    want = tflm_micro_features(audio, fe.tables)
    got = np.array([np.frombuffer(r, dtype="<u2") for r in raws])
    if got.shape != want.shape or not np.array_equal(got, want):
        bad = next(
            (i for i in range(min(len(got), len(want))) if not np.array_equal(got[i], want[i])),
            None,
        )
        raise EarshotError(f"raw frames differ from the reference (frame {bad}): {got.shape}")
    q = np.array([np.frombuffer(x, dtype=np.int8) for x in qs])
    if not np.array_equal(q, raw_to_int8(want, fe.tables)):
        raise EarshotError("int8 frames differ from the reference")
    return len(raws)


def verify(
    core: str,
    fe: ModelFrontend,
    audio: np.ndarray,
    misalign: int = 0,
    defines: tuple[str, ...] = (),
    kernels: str = "optimized",
) -> int:
    """Builds and runs the harness on a core without tracing; the number of frames, all
    equal to the host reference (EarshotError otherwise, or when a tool is missing)."""
    c = CORES[core]
    with tempfile.TemporaryDirectory(prefix="fe_verify_") as tmp:
        work = Path(tmp)
        elf = build(c, fe, audio, work, kernels, misalign, defines)
        run = run_rp2040js if c.runner == "rp2040js" else run_qemu
        output, _, _ = run(c.runner, elf, work, functions(elf), False)
        return check_frames(output, fe, audio)


def profile(
    core: Core, fe: ModelFrontend, audio: np.ndarray, kernels: str, work: Path, misalign: int = 0
) -> dict[str, Any]:
    elf = build(core, fe, audio, work, kernels, misalign)
    funcs = functions(elf)
    run = run_rp2040js if core.runner == "rp2040js" else run_qemu
    output, hops, counts = run(core.runner, elf, work, funcs)
    frames = check_frames(output, fe, audio)
    by_function: dict[str, int] = defaultdict(int)
    by_stage: dict[str, int] = defaultdict(int)
    for (name, stage), n in counts.items():
        by_function[name] += n
        by_stage[STAGES.get(stage, stage)] += n
    per = 1.0 / len(hops) if hops else 0.0

    def table(d: dict[str, int]) -> dict[str, int]:
        return {k: round(v * per) for k, v in sorted(d.items(), key=lambda x: -x[1])}

    return {
        "core": core.name,
        "unit": core.unit,
        "kernels": kernels,
        "frames_checked": frames,
        "hops": len(hops),
        "per_hop": round(sum(hops) * per) if hops else None,
        "per_hop_min_max": [min(hops), max(hops)] if hops else None,
        "stages": table(by_stage),
        "functions": table(by_function),
    }


def audio_of(args: argparse.Namespace, sample_rate: int, hop: int) -> np.ndarray:
    n = args.hops * hop
    if args.repeat_hop:
        # The hop python -m earshot_host.emulator_cycles feeds: bytes (i * 97 + 13) % 256.
        one = np.frombuffer(bytes((i * 97 + 13) % 256 for i in range(2 * hop)), dtype="<i2")
        return np.tile(one, args.hops).astype(np.int16)
    if args.noise is not None:
        rng = np.random.default_rng(1)
        return rng.integers(-args.noise, args.noise + 1, n).astype(np.int16)
    wav = read_wav(project_root() / "tests" / "data" / "audio" / f"{args.clip}.wav")
    if wav.sample_rate != sample_rate:
        raise EarshotError(f"{args.clip}: {wav.sample_rate} Hz, the front end wants {sample_rate}")
    x = wav.samples
    if len(x) < n:
        x = np.concatenate([x, np.zeros(n - len(x), dtype=np.int16)])
    return x[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m earshot_host.bench.frontend_stages")
    parser.add_argument("--model", default="okay_nabu")
    parser.add_argument("--cores", default="m4,m0,m0plus")
    parser.add_argument("--clip", default="yes_1000ms", help="a clip of tests/data/audio/")
    parser.add_argument("--noise", type=int, help="uniform noise of this amplitude instead")
    parser.add_argument("--hops", type=int, default=12)
    parser.add_argument(
        "--repeat-hop", action="store_true", help="the hop emulator_cycles measures, repeated"
    )
    parser.add_argument("--kernels", choices=["optimized", "reference"], default="optimized")
    parser.add_argument("--functions", action="store_true", help="also per function")
    parser.add_argument(
        "--misalign", type=int, default=0, help="place the model this many bytes off alignment"
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    try:
        fe = model_frontend(resolve_model(args.model))
        audio = audio_of(args, fe.sample_rate, fe.hop)
        results = []
        for name in [c.strip() for c in args.cores.split(",") if c.strip()]:
            if name not in CORES:
                raise EarshotError(f"unknown core {name!r} (known: {', '.join(CORES)})")
            with tempfile.TemporaryDirectory(prefix="fe_stages_") as tmp:
                r = profile(CORES[name], fe, audio, args.kernels, Path(tmp), args.misalign)
            results.append(r)
            print(
                f"{name} ({args.kernels}): {r['per_hop']:,} {r['unit']} per hop "
                f"(min/max {r['per_hop_min_max']}), {r['frames_checked']} frames equal "
                "the reference"
            )
            for stage, n in r["stages"].items():
                print(f"  {stage:24s} {n:9,}")
            if args.functions:
                print("  by function:")
                for fn, n in r["functions"].items():
                    print(f"    {fn:30s} {n:9,}")
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
