"""The streaming pipeline on every target: no allocation in steady state, overruns and
malformed input counted, never silent."""

from __future__ import annotations

import json

import pytest

SETUP = """
import gc, _earshot, earshot
from earshot.stream import Listener
from earshot.protocol import Console

class Quiet(Console):
    # Keeps the counters' lines out of the way of the test's own output.
    def hello(self, *a): pass
    def stats(self, *a): pass
    def end(self, *a): pass

# The source's block before the pipeline's buffers (hops of 20 ms at 16 kHz), as a real
# source's DMA buffers come first.
BLOCK = bytearray(640)

class Burst:
    # A live source (think I2S DMA) that delivers `burst` hops per call, `calls` times.
    def __init__(self, hop, burst, calls):
        self.sample_rate = 16000
        assert len(BLOCK) == 2 * hop
        self.block = BLOCK
        for i in range(0, len(self.block), 2):
            self.block[i] = (i * 37) & 0xFF     # a little deterministic noise
        self.burst = burst
        self.calls = calls
        self.marks = []
        self.mark_at = ()
    def fill(self, ring):
        if self.calls in self.mark_at:
            gc.collect()
            self.marks.append(gc.mem_alloc())
        if not self.calls:
            return False
        self.calls -= 1
        for _ in range(self.burst):
            slot = ring.slot_for_write()
            if slot is not None:
                _earshot.shift_in(slot, self.block)   # a whole-slot copy, no allocation
                ring.commit()
        return True
    def close(self): pass

try:
    l = Listener(earshot.Model.frozen("{model}"), Quiet(), stats_ms=0)
except ValueError as e:
    print("REFUSED", e)
    raise SystemExit
"""


def run_pipeline(target, code: str) -> str | None:
    """Output of a pipeline snippet, or None where the board refused the pipeline with the
    bytes it lacks (a heap under 48 KiB: qemu_m0's 20 KiB holds micro_speech's model and
    front end but, since the merged detector/cascade/MQTT/front-end work, not always the
    rest of its pipeline beside a test source)."""
    result = target.run(code, timeout=600)
    assert result.ok, result.error
    out = result.output.replace("\r\n", "\n")
    if out.startswith("REFUSED "):
        assert target.pipeline_refused(out), out
        return None
    return out


def steady_state_allocation(target, model: str) -> None:
    # Measured inside one run, between hop 100 (window full, every path taken) and 1100.
    code = SETUP.format(model=model) + (
        "src = Burst(l.frontend.hop, 1, 1100)\n"
        "src.mark_at = (1000, 0)\n"
        "l.run(src)\n"
        "print(src.marks[1] - src.marks[0], l.total('hops'), l.total('inferences'))"
    )
    out = run_pipeline(target, code)
    if out is None:
        return
    delta, hops, inferences = (int(v) for v in out.split())
    assert hops == 1100
    assert inferences >= (1100 - 49) // (2 if model == "micro_speech" else 5)
    assert delta == 0


def test_steady_state_allocates_nothing_over_1000_hops(target):
    steady_state_allocation(target, "micro_speech")


@pytest.mark.kinds("unix")
def test_peak_normalized_mfcc_pipeline_allocates_nothing(target):
    # mlperf_kws adds the MFCC front end and the per-window peak normalization; its 2.7 M
    # MACs per inference keep this one to the Unix port (the Python path is the same).
    steady_state_allocation(target, "mlperf_kws")


def test_overruns_are_counted_when_a_live_source_outruns_the_pipeline(target):
    # 7 hops arrive per call, the ring holds 2: 5 are dropped each time, and counted.
    code = SETUP.format(model="micro_speech") + (
        "l.run(Burst(l.frontend.hop, 7, 20))\n"
        "print(l.total('hops'), l.ring.overruns, l.ring.dropped_samples, l.frontend.hop)"
    )
    out = run_pipeline(target, code)
    if out is None:
        return
    hops, overruns, dropped, hop = (int(v) for v in out.split())
    assert hops == 2 * 20
    assert overruns == 5 * 20
    assert dropped == overruns * hop


def test_stats_line_reports_the_counters(target):
    code = SETUP.format(model="micro_speech") + (
        "l.console = Console()\nl.stats_hops = 10\nl.run(Burst(l.frontend.hop, 5, 4))\n"
    )
    out = run_pipeline(target, code)
    if out is None:
        return
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    stats = [m for m in lines if m["type"] == "stats"]
    assert lines[0]["type"] == "hello" and lines[-1]["type"] == "end"
    assert stats[-1]["hops"] == 8  # 5 hops per call into 2 slots, 4 calls
    assert stats[-1]["overruns"] == 12
    assert stats[-1]["heap_free"] > 0


def test_the_window_slides_inside_the_input_exactly_where_the_plan_allows(target):
    """The device's view of the arena plan (is the input's memory its own?) agrees with the
    host's for every frozen model, and the pipeline uses the input as its window then."""
    from earshot_host.catalog import load_catalog
    from earshot_host.modelfile import read_model

    catalog = load_catalog()

    def host_view(name: str) -> bool:
        model = read_model(catalog[name].folder.joinpath(f"{name}.esm").read_bytes())
        meta = model.metadata
        return "frontend" in meta and not meta.get("streaming", {}).get("normalize")

    # Both kinds are in the catalog; the device holds the models its board freezes.
    assert len({host_view(name) for name in catalog}) == 2
    names = target.eval("sorted(__import__('earshot_models').NAMES)")
    assert names and set(names) <= set(catalog)
    setup = (
        "import _earshot\n"
        "def exclusive(n):\n"
        "    m = __import__('earshot_models.' + n, None, None, ('MODEL',)).MODEL\n"
        "    return _earshot.check(m)[1][0][5]\n"
    )
    device = target.eval(f"[exclusive(n) for n in {names!r}]", setup=setup)
    assert device == [host_view(name) for name in names]
