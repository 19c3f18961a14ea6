"""earshot as native modules behaves as the firmware does at run time: the per-hop path
allocates nothing (gc.mem_alloc() over 1,000 hops of a WAV), and earshot imports again —
a second time in one session, and after a soft reset — with the same results."""

from __future__ import annotations

import pytest
from stock_support import ROOT, SCENE, data_path, model_expression

from earshot_host.natmod import natmod_arch, natmod_dir

pytestmark = pytest.mark.stock

# The detector over the scene: heap in use at hop 100 (window full, every path taken) and
# at hop 1100; detections counted, not printed (printing a line allocates).
PER_HOP = """
import gc, earshot
from earshot.stream import Listener
from earshot.protocol import Console
from earshot.sources.wav import WavSource

class Quiet(Console):
    detections = 0
    def hello(self, *a): pass
    def stats(self, *a): pass
    def end(self, *a): pass
    def detection(self, *a):
        Quiet.detections += 1

class Marked(WavSource):
    def __init__(self, path, at):
        super().__init__(path)
        self.at, self.hops, self.marks = at, 0, []
    def fill(self, ring):
        if self.hops in self.at:
            gc.collect()
            self.marks.append(gc.mem_alloc())
        self.hops += 1
        return self.hops <= 1100 and super().fill(ring)

l = Listener({model}, Quiet(), stats_ms=0)
src = Marked({wav!r}, (100, 1100))
l.run(src)
print(src.marks[1] - src.marks[0], l.total('hops'), l.total('inferences'), Quiet.detections)
"""

RUN_ONCE = """
import sys, earshot, binascii
m = {model}
for i in range(len(m.input)):
    m.input[i] = (i * 7) % 256 - 128
m.invoke()
print(binascii.hexlify(m.output).decode(), earshot.kernels)
"""

# Every reference to the first import goes (the global name too), and its native code with
# the collection: a small board's heap holds one copy of _earshot.mpy, not two.
FORGET = (
    "del m, earshot\nfor _k in [k for k in sys.modules if 'earshot' in k]:\n"
    "    del sys.modules[_k]\nimport gc\ngc.collect()\n"
)


def test_per_hop_path_allocates_nothing_over_1000_hops(target):
    code = PER_HOP.format(
        model=model_expression(target.board, "micro_speech"), wav=data_path(target.board, SCENE)
    )
    out = target.exec(code, timeout=900)
    delta, hops, inferences, detections = (int(v) for v in out.split())
    assert hops == 1100
    assert inferences >= (1100 - 49) // 2
    assert detections == 4  # the scene's yes, no, yes, no
    assert delta == 0


def test_importing_twice_and_after_a_soft_reset_gives_the_same_results(target):
    once = RUN_ONCE.format(model=model_expression(target.board, "micro_speech"))
    # MicroPython keeps the code of a native module it loaded until the soft reset (the
    # port tracks it), so a second import in one session loads a second copy: on a heap
    # that cannot hold two (armv6m: 67 KB each in 140 KB) only the soft reset is tried.
    native = (natmod_dir(natmod_arch(target.board), ROOT) / "_earshot.mpy").stat().st_size
    twice = not target.board.heap_bytes or 2 * native + 48 * 1024 <= target.board.heap_bytes
    out = target.exec(once + FORGET + once if twice else once)
    first = out.split("\n")[0]
    if twice:
        assert out.split("\n")[1] == first
    assert len(first.split()[0]) == 8  # four int8 scores
    if target.runner.keeps_state:
        # A soft reset frees the native code with the heap; the next import loads it again.
        again = target.exec(once)
        assert again.split("\n")[0] == first
