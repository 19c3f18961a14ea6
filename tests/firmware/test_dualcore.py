"""earshot.dualcore: inference on a second core through _thread (the RP2040's core 1).

rp2040js does not run core 1, so the module's logic is tested where threads run here: the
Unix port (its threads interleave under the GIL; the handshake, ordering, counting and
allocation are the same). The Pico split itself is measured from single-core cycle counts
(docs/M0.md).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kinds("unix")

SETUP = """
import gc
from earshot.model import Model
from earshot.dualcore import InferenceCore
m = Model.frozen('micro_speech')
outs = []
def keep(o):
    outs.append(bytes(o))
def filler(v):
    def fill(inp):
        for i in range(len(inp)):
            inp[i] = (i * v) % 251 - 125
    return fill
fills = [filler(v) for v in range(1, 9)]
def one_core():
    direct = []
    for f in fills:
        f(m.input)
        m.invoke()
        direct.append(bytes(m.output))
    return direct
"""


def test_outputs_arrive_in_order_and_equal_one_core(target):
    code = (
        SETUP
        + """
direct = one_core()
cores = InferenceCore(m, keep)
for f in fills:
    cores.handover(f)
    cores.poll()
cores.close()
print(outs == direct, len(outs), cores.handed, cores.finished, cores.dropped)
print(len(set(direct)))
"""
    )
    lines = target.exec(code).split()
    assert lines[:5] == ["True", "8", "8", "8", "0"]
    assert int(lines[5]) > 1  # the inputs give different outputs: the order is checked


def test_steady_state_allocates_nothing(target):
    code = (
        SETUP
        + """
import _earshot
# Steady-state callbacks that allocate nothing themselves (no slices, no range()).
kept = bytearray(4)
window = bytearray(len(m.input))
fills[0](window)
def keep(o):
    _earshot.copy(kept, o)
def fill(inp):
    _earshot.copy(inp, window)
cores = InferenceCore(m, keep)
for i in range(3):
    cores.handover(fill)
    cores.poll()
before = after = 0  # globals made before the reading (a dict resize is not the module's)
gc.collect()
before = gc.mem_alloc()
for i in range(20):
    cores.handover(fill)
    cores.poll()
    cores.poll()
after = gc.mem_alloc()
cores.close()
print(after - before, cores.handed, cores.finished)
"""
    )
    assert target.exec(code).split() == ["0", "23", "23"]


def test_a_busy_core_drops_when_told_not_to_wait(target):
    code = (
        SETUP
        + """
cores = InferenceCore(m, keep)
print(cores.handover(fills[0]), cores.handover(fills[1], wait=False), cores.dropped)
cores.close()
print(len(outs), cores.finished, cores.busy)
"""
    )
    assert target.exec(code).split() == ["True", "False", "1", "1", "1", "False"]


def test_a_failing_model_raises_on_the_first_core(target):
    code = """
from earshot.dualcore import InferenceCore
class Broken:
    input = bytearray(4)
    output = bytearray(4)
    def invoke(self):
        raise ValueError('arena corrupted')
cores = InferenceCore(Broken(), print)
cores.handover(lambda inp: None)
try:
    cores.close()
except RuntimeError as err:
    print('raised:', err)
"""
    assert "raised: inference core stopped: arena corrupted" in target.exec(code)


def test_alternating_cores_keep_the_order(target):
    # Every other inference on the first core (a second Model over the same bytes): the
    # outputs still arrive in order and equal one core's.
    code = (
        SETUP
        + """
direct = one_core()
second = Model.frozen('micro_speech')
cores = InferenceCore(m, keep, second)
for f in fills:
    cores.handover(f)
    cores.poll()
cores.close()
print(outs == direct, len(outs), cores.handed, cores.finished, cores.dropped)
"""
    )
    assert target.exec(code).split() == ["True", "8", "8", "8", "0"]
