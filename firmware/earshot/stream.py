# The always-on pipeline: audio ring -> front end (every hop) -> feature window -> model
# (every N hops) -> detector -> console.
#
# The feature window is a buffer of its own: each hop's frame is shifted in at its end (in
# C), and the window is copied into the model's input before each inference (the arena
# plan reuses the input tensor's memory for activations once it has been read). An
# optional energy gate (a
# cascade: the cheap stage wakes the expensive one) skips inference while no hop in the
# window was louder than the gate; skipped inferences are counted. Everything the loop
# touches is allocated here, once: steady state allocates nothing.

import gc

import _earshot

from .detect import Detector
from .frontend import Frontend
from .protocol import Console
from .ring import AudioRing


def gate_level(dbfs):
    # Mean-square energy of a full-scale int16 sine at dbfs (0 dBFS = 32768^2 / 2).
    if dbfs is None:
        return 0
    return int(536870912 * 10 ** (dbfs / 10))


class Listener:
    def __init__(self, model, console=None, hops_per_inference=None, gate_dbfs=None,
                 detector=None, stats_ms=10000, ring_slots=3):  # fmt: skip
        # The name is read first: with the heap full, reading it (JSON metadata) in the
        # except clause would raise a second MemoryError instead of the reason.
        name = "model's"
        try:
            name = model.name
            self._setup(model, console, hops_per_inference, gate_dbfs, detector, stats_ms,
                        ring_slots)  # fmt: skip
        except MemoryError:
            gc.collect()
            raise ValueError(
                "the {} pipeline does not fit: {} bytes of heap free after its model".format(
                    name, gc.mem_free()
                )
            ) from None

    def _setup(self, model, console, hops_per_inference, gate_dbfs, detector, stats_ms,
               ring_slots):  # fmt: skip
        meta = model.metadata
        self.model = model
        self.frontend = Frontend(model)
        fe = self.frontend
        if fe.frames * fe.features != len(model.input):
            raise ValueError(
                "front end gives {} x {} features, the model takes {}".format(
                    fe.frames, fe.features, len(model.input)
                )
            )
        if (fe.hop * 1000) % fe.sample_rate:
            raise ValueError("hop of {} samples is not a whole number of ms".format(fe.hop))
        self.hop_ms = fe.hop * 1000 // fe.sample_rate
        streaming = meta.get("streaming", {})
        self.every = hops_per_inference or streaming.get("hops_per_inference", 1)
        if self.every < 1:
            raise ValueError("hops per inference must be at least 1")
        settings = dict(meta.get("detector", {}))
        settings.update(detector or {})
        self.detector = Detector(model.labels, self.hop_ms * self.every,
                                 score_zero_point=model.output_quant[1], **settings)  # fmt: skip
        self.console = console or Console()
        self.gate = gate_level(gate_dbfs)
        self.stats_hops = max(1, stats_ms // self.hop_ms) if stats_ms else 0
        # A live source (I2S) wants a few slots of slack; a file or stream needs two.
        self.ring = AudioRing(fe.hop, ring_slots)
        self.frame = bytearray(fe.features)
        self.window = bytearray(len(model.input))
        self.source = None
        self.reset()

    def reset(self):
        self.hops = 0
        self.inferences = 0
        self.gated = 0
        self.loud = 0  # hops left before the newest loud hop leaves the window
        self.detector.reset()
        self.frontend.reset()
        for i in range(len(self.window)):
            self.window[i] = 0

    @property
    def t_ms(self):
        return self.hops * self.hop_ms

    def hop(self, samples):
        # One hop of int16 samples: features, then (every N hops) the model and detector.
        self.frontend.process(samples, self.frame)
        _earshot.shift_in(self.window, self.frame)
        self.hops += 1
        if self.gate:
            if _earshot.mean_square(samples) >= self.gate:
                self.loud = self.frontend.frames
            elif self.loud:
                self.loud -= 1
        if self.hops % self.every == 0 and self.hops >= self.frontend.frames:
            if self.gate and not self.loud:
                self.gated += 1
            else:
                _earshot.copy(self.model.input, self.window)
                self.model.invoke()
                self.inferences += 1
                found = self.detector.update(self.t_ms, self.model.output)
                if found >= 0:
                    self.console.detection(self.t_ms, self.detector.labels[found],
                                           self.detector.score)  # fmt: skip
        if self.stats_hops and self.hops % self.stats_hops == 0:
            self.stats()

    def drain(self):
        # Process every block waiting in the ring.
        ring = self.ring
        slot = ring.slot_for_read()
        while slot is not None:
            self.hop(slot)
            ring.release()
            slot = ring.slot_for_read()

    def stats(self):
        # Overruns: blocks lost because the pipeline fell behind (a full ring) or that never
        # arrived (gaps in a host stream's numbering); malformed: input lines ignored.
        ring, source = self.ring, self.source
        lost = getattr(source, "lost_blocks", 0)
        malformed = getattr(source, "malformed", 0)
        self.console.stats(self.t_ms, self.hops, self.inferences, self.gated,
                           ring.overruns + lost, ring.dropped_samples + lost * ring.block,
                           malformed, gc.mem_free())  # fmt: skip

    def run(self, source, pace=None):
        # Listen until the source ends. pace(t_ms), if given, is called before each hop
        # (real-time playback of a file).
        if source.sample_rate != self.frontend.sample_rate:
            raise ValueError("source is {} Hz, the model needs {} Hz".format(
                source.sample_rate, self.frontend.sample_rate))  # fmt: skip
        fe = self.frontend
        self.source = source
        self.console.hello(self.model.name, self.model.labels, self.hop_ms, fe.sample_rate)
        while source.fill(self.ring):
            if pace is not None:
                pace(self.t_ms)
            self.drain()
        self.drain()
        self.stats()
        self.console.end(self.t_ms)
