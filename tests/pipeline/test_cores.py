"""The pipeline with the model on a second core (`--cores 2`, earshot.dualcore through
_thread; `--alternate`: every other inference on each core, a second arena): the same
scores and detections, at the same audio times, as on one core, and nothing allocated per
hop. The Unix port runs threads (interleaved under its GIL: the handshake, the order and
the accounting are the Pico's); a port without _thread refuses `--cores 2`, saying why."""

from __future__ import annotations

import pytest
from test_scenes import SCENES

from earshot_host.listen import Session, listen_qemu, listen_unix
from earshot_host.scenes import compose, write_scene

ARRANGEMENTS = {
    "split": ("--cores", "2"),
    "alternate": ("--cores", "2", "--alternate"),
}


def heard(session: Session) -> tuple[list, list, dict]:
    assert session.error == "" and not session.of_type("error"), session.error
    detections = [(d["label"], d["t_ms"], d["score"]) for d in session.detections]
    scores = [(s["t_ms"], s["q"]) for s in session.of_type("scores")]
    stats = dict(session.of_type("stats")[-1])
    stats.pop("heap_free")
    return detections, scores, stats


@pytest.mark.kinds("unix")
@pytest.mark.parametrize("model", ["micro_speech", "mlperf_kws"])
@pytest.mark.parametrize("extra", [(), ("--gate", "-50")], ids=["open", "gated"])
def test_two_cores_hear_what_one_core_hears(target, tmp_path, model, extra):
    placements, duration_ms, noise_dbfs, stereo = SCENES[model]
    wav = tmp_path / f"{model}.wav"
    write_scene(wav, compose(placements, duration_ms, noise_dbfs), stereo=stereo)
    args = ("--scores", *extra)
    one = heard(listen_unix(target.board, model, wav, extra_args=args))
    assert one[0], "the scene gives detections to compare"
    if extra:
        assert one[2]["gated"] > 0  # the gate skipped some: that path is compared too
    for arrangement, cores in ARRANGEMENTS.items():
        two = heard(listen_unix(target.board, model, wav, extra_args=(*args, *cores)))
        assert two == one, arrangement


STEADY = """
import gc, _earshot, earshot
from earshot.stream import Listener
from earshot.protocol import Console

class Quiet(Console):
    def hello(self, *a): pass
    def stats(self, *a): pass
    def end(self, *a): pass

class Burst:
    # A source of one hop per call; gc.mem_alloc() noted at two calls.
    def __init__(self, hop, calls):
        self.sample_rate = 16000
        self.block = bytearray(2 * hop)
        for i in range(0, len(self.block), 2):
            self.block[i] = (i * 37) & 0xFF
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
        slot = ring.slot_for_write()
        if slot is not None:
            _earshot.shift_in(slot, self.block)
            ring.commit()
        return True
    def close(self): pass

l = Listener(earshot.Model.frozen("{model}"), Quiet(), stats_ms=200, cores=2,
             alternate={alternate})
src = Burst(l.frontend.hop, 1100)
src.mark_at = (1000, 0)
l.run(src)
print(src.marks[1] - src.marks[0], l.total('hops'), l.total('inferences'),
      l.cores.handed, l.cores.finished, len(l.kinds), l.behind)
"""


@pytest.mark.kinds("unix")
@pytest.mark.parametrize("model", ["micro_speech", "mlperf_kws"])
@pytest.mark.parametrize("alternate", [False, True], ids=["split", "alternate"])
def test_two_cores_allocate_nothing_per_hop(target, model, alternate):
    # Measured inside one run between hop 100 and hop 1100 (window full, every path taken).
    out = target.exec(STEADY.replace("{model}", model).replace("{alternate}", str(alternate)))
    delta, hops, inferences, handed, finished, slots, behind = (int(v) for v in out.split())
    every = 2 if model == "micro_speech" else 5
    assert hops == 1100 and inferences >= (1100 - 49) // every
    assert handed == finished == inferences and behind == 0  # all back, in order
    assert slots == 2 * every + 2
    assert delta == 0


@pytest.mark.kinds("unix")
def test_a_live_source_gets_a_ring_of_an_inferences_hops(target):
    code = (
        "import earshot\nfrom earshot.stream import Listener\n"
        "m = earshot.Model.frozen('mlperf_kws')\n"
        "one = Listener(m, ring_slots=4)\n"
        "print(one.ring.slots)\n"
        "two = Listener(m, ring_slots=4, cores=2)\n"
        "print(two.ring.slots)\n"
        "two.cores.close()\n"
        "pulled = Listener(m, cores=2)\n"
        "print(pulled.ring.slots)\n"
        "pulled.cores.close()\n"
    )
    assert target.exec(code).split() == ["4", "6", "2"]  # mlperf_kws: 5 hops per inference


@pytest.mark.kinds("qemu")
def test_a_port_without_threads_refuses_two_cores(target, tmp_path):
    placements, _, noise_dbfs, _ = SCENES["micro_speech"]
    wav = tmp_path / "short.wav"
    write_scene(wav, compose(placements[:1], 3_000, noise_dbfs))
    session = listen_qemu(target.runner, "micro_speech", wav, device_args=("--cores", "2"))
    errors = [m["message"] for m in session.of_type("error")] + [session.error]
    assert any("_thread" in e and "2 cores" in e for e in errors), errors
    assert not session.detections
