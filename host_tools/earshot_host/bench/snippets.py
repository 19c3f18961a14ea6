"""MicroPython code the benchmark runs on a target (through earshot_host.runner).

Each snippet prints one line `BENCH <json>`. Timings are `time.ticks_cpu()` differences
(core cycles on the QEMU boards, where SysTick counts them; the host converts them to
instructions); the Unix port is measured from outside by callgrind instead, with the same
snippets and different repetition counts. Audio is a deterministic low-level noise made on
the device before the measured part, so no UART transfer is counted.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import EarshotError

MARK = "BENCH "

# Speech-free audio: uniform noise of +-NOISE_AMPLITUDE (about -61 dBFS RMS), below the
# energy gate (GATE_DBFS) of the gated pipeline.
NOISE_AMPLITUDE = 50
GATE_DBFS = -50
NOISE_HOPS = 1

_PRELUDE = f"""\
import gc, json, time, array
import _earshot
from earshot.model import Model
_t = getattr(time, 'ticks_cpu', None) or time.ticks_us
_d = time.ticks_diff
_s = _t(); _e = _t()
_overhead = _d(_e, _s)

def _noise(samples, seed):
    # int16 little-endian noise in +-{NOISE_AMPLITUDE} from a small LCG (small ints only).
    b = bytearray(2 * samples)
    x = seed
    for i in range(samples):
        x = (x * 75 + 74) % 65537
        v = x % {2 * NOISE_AMPLITUDE + 1} - {NOISE_AMPLITUDE}
        b[2 * i] = v & 255
        b[2 * i + 1] = (v >> 8) & 255
    return b

def _emit(result):
    print('{MARK}' + json.dumps(result))
"""


def model_snippet(
    model: str,
    op_count: int,
    repeat: int,
    invokes: int = 1,
    profile: bool = True,
    setup: str = "",
) -> str:
    """Cycles of `invokes` inferences (minus the timer's own cost), `repeat` times, and (if
    profile) the per-operator profile of one inference, `repeat` times. `setup` runs
    first (extra_ram.arena_prelude)."""
    profiles = repeat if profile else 0
    return (
        _PRELUDE
        + setup
        + f"""
def _main():
    try:
        m = Model.frozen({model!r})
    except (ValueError, MemoryError) as err:
        return {{'error': str(err)}}
    inp = m.input
    def fill():
        for i in range(len(inp)):
            inp[i] = (i * 73 + 11) % 255 - 127
    fill()
    m.invoke()
    runs = []
    for _ in range({repeat}):
        fill()
        s = _t()
        for _ in range({invokes}):
            m.invoke()
        e = _t()
        runs.append(_d(e, s) - _overhead)
    profiles = []
    prof = array.array('I', bytes(4 * {op_count}))
    for _ in range({profiles}):
        fill()
        m.profile(prof)
        profiles.append(list(prof))
    return {{'cycles': runs, 'profiles': profiles, 'arena_bytes': m.arena_size}}

_emit(_main())
"""
    )


def frontend_snippet(model: str, hop: int, repeat: int, hops: int, setup: str = "") -> str:
    """Cycles of `hops` front-end hops on noise, `repeat` times. `setup` runs first
    (extra_ram.arena_prelude)."""
    return (
        _PRELUDE
        + setup
        + f"""
def _main():
    from earshot.frontend import Frontend
    try:
        fe = Frontend(Model.frozen({model!r}))
    except (ValueError, MemoryError) as err:
        return {{'error': str(err)}}
    audio = _noise({hop} * {NOISE_HOPS}, 1)
    view = memoryview(audio)
    chunks = [view[2 * {hop} * k : 2 * {hop} * (k + 1)] for k in range({NOISE_HOPS})]
    out = bytearray(fe.features)
    for k in range(fe.frames):
        fe.process(chunks[k % {NOISE_HOPS}], out)
    runs = []
    for _ in range({repeat}):
        s = _t()
        for k in range({hops}):
            fe.process(chunks[k % {NOISE_HOPS}], out)
        e = _t()
        runs.append(_d(e, s) - _overhead)
    return {{'cycles': runs, 'kind': fe.kind, 'hop': fe.hop, 'sample_rate': fe.sample_rate}}

_emit(_main())
"""
    )


def pipeline_parts(model: str, hop: int, gated: bool, repeat: int, hops: int) -> list[str]:
    """The always-on pipeline (earshot.stream.Listener) fed from an on-device buffer of
    noise: cycles of `hops` hops, `repeat` times, and the heap it holds (bytes allocated
    while listening minus bytes allocated before the model was made: the heap the
    pipeline holds once made, plus whatever listening adds; the measuring code's own
    objects, made after the pipeline, are not counted).

    Three parts, run one after the other in the same interpreter (a QEMU board keeps its
    globals between runs; the Unix port runs them joined as one script): definitions, the
    pipeline, the measurement. Each part's own code is freed when it ends, so that on the
    smallest board (qemu_m0, 20 KiB of heap) the pipeline is built with nearly the heap a
    real program would give it."""
    gate = GATE_DBFS if gated else None
    definitions = """\
import gc, json, time, _earshot
from earshot.model import Model
from earshot.stream import Listener

class _Quiet:
    # A console that prints nothing (UART output is not part of the figure) and allocates
    # nothing (no *args tuples).
    def hello(self, model, labels, hop_ms, sample_rate, source=None, settings=None):
        pass
    def detection(self, counts, label, score_256):
        pass
    def stats(self, counts, overruns, dropped, malformed, heap_free):
        pass
    def end(self, t_ms):
        pass

def _listen(lis, n):
    # What a source's fill() and the listener's drain() do, hop by hop: the audio is the
    # noise already in the ring's slots, copied onto itself (the cost of a source's copy,
    # without a buffer of its own). A while loop: a for loop over range() would allocate.
    ring = lis.ring
    while n > 0:
        slot = ring.slot_for_write()
        _earshot.copy(slot, slot)
        ring.commit()
        lis.drain()
        n -= 1
"""
    pipeline = f"""\
_runs = [0] * {repeat}  # made before the idle reading: not part of the pipeline
_lis = _main = _err = _made = err = None  # every global exists before the idle reading
gc.collect()
_idle = gc.mem_alloc()
try:
    _lis = Listener(Model.frozen({model!r}), _Quiet(), {{'gate': {gate!r}}}, stats_ms=0)
    _err = None
except (ValueError, MemoryError) as err:
    _err = str(err)
gc.collect()
_made = gc.mem_alloc()
"""
    # Compiled while the pipeline holds the heap: small, without comments (the source
    # text is on the heap too). Noise in +-NOISE_AMPLITUDE from a small LCG goes into
    # every ring slot; then warm-up and `repeat` timed runs of `hops` hops. A function:
    # its locals do not grow the globals dict (which would count as pipeline heap).
    measure = f"""\
def _main(lis):
    x = 1
    for a in lis.ring.views:
        for i in range({hop}):
            x = (x * 75 + 74) % 65537
            v = x % {2 * NOISE_AMPLITUDE + 1} - {NOISE_AMPLITUDE}
            a[2 * i] = v & 255
            a[2 * i + 1] = (v >> 8) & 255
    _listen(lis, lis.frontend.frames + 2 * lis.every)
    s = time.ticks_cpu()
    o = time.ticks_diff(time.ticks_cpu(), s)
    gc.collect()
    base = peak = gc.mem_alloc()
    r = 0
    while r < {repeat}:
        s = time.ticks_cpu()
        _listen(lis, {hops})
        _runs[r] = time.ticks_diff(time.ticks_cpu(), s) - o
        peak = max(peak, gc.mem_alloc())
        r += 1
    return {{'cycles': _runs, 'heap_bytes': _made - _idle + peak - base, 'hops': lis.total('hops'),
            'inferences': lis.total('inferences'), 'gated': lis.total('gated')}}
print('{MARK}' + json.dumps({{'error': _err}} if _err else _main(_lis)))
"""
    return [definitions, pipeline, measure]


def parse_output(output: str, what: str) -> dict[str, Any]:
    """The JSON result a snippet printed."""
    for line in reversed(output.replace("\r\n", "\n").splitlines()):
        if line.startswith(MARK):
            result: dict[str, Any] = json.loads(line[len(MARK) :])
            return result
    raise EarshotError(f"{what}: the target printed no result: {output[-300:]!r}")
