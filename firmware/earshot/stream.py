# The always-on pipeline: audio ring -> front end (every hop) -> feature window -> model
# (every N hops) -> detector -> console.
#
# The feature window: each hop's frame is shifted in at its end (in C). Where the arena
# plan keeps the input tensor's bytes for it alone (the converter keeps inputs live), the
# window is the model's input itself; otherwise (older model files, or a window that is
# rewritten before inference: peak normalization) it is a buffer of its own copied in
# before each inference. An optional energy gate (a
# cascade: the cheap stage wakes the expensive one) skips inference while no hop in the
# window was louder than the gate; skipped inferences are counted. Everything the loop
# touches is allocated here, once: steady state allocates nothing.

import gc
from array import array

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
                 detector=None, stats_ms=10000, ring_slots=2, cascade=None):  # fmt: skip
        gc.collect()  # long-lived buffers follow: keep them together at the bottom
        # The name is read first: with the heap full, reading it (JSON metadata) in the
        # except clause would raise a second MemoryError instead of the reason.
        name = "model's"
        try:
            name = model.name
            self._setup(model, console, hops_per_inference, gate_dbfs, detector, stats_ms,
                        ring_slots, cascade)  # fmt: skip
        except MemoryError:
            gc.collect()
            raise ValueError(
                "the {} pipeline does not fit: {} bytes of heap free after its model".format(
                    name, gc.mem_free()
                )
            ) from None

    def _setup(self, model, console, hops_per_inference, gate_dbfs, detector, stats_ms,
               ring_slots, cascade):  # fmt: skip
        meta = model.metadata
        self.model = model
        self.name = model.name
        self.labels = model.labels
        self.model_source = getattr(model, "source", None)
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
        # "peak": scale each window as if its audio were divided by its largest sample, as
        # the model was trained (MLPerf KWS normalizes every clip by its max).
        normalize = streaming.get("normalize")
        if normalize not in (None, "peak"):
            raise ValueError("unknown streaming normalization {!r}".format(normalize))
        if normalize and fe.kind != "mfcc":
            raise ValueError("peak normalization needs an mfcc front end")
        self.peaks = array("h", bytes(2 * fe.frames)) if normalize else None
        settings = dict(meta.get("detector", {}))
        settings.update(detector or {})
        self.detector = Detector(model.labels, self.hop_ms * self.every,
                                 score_zero_point=model.output_quant[1], **settings)  # fmt: skip
        self.console = console or Console()
        self.gate = gate_level(gate_dbfs)
        # An optional first stage (earshot.cascade: VAD model or energy); while it keeps
        # the gate closed, the detector hears the output's zero point.
        self.cascade = cascade
        if cascade is not None:
            zp = model.output_quant[1]
            n = len(model.output)
            self.silence = array("b", [zp] * n) if zp < 0 else bytearray([zp] * n)
        self.stats_hops = max(1, stats_ms // self.hop_ms) if stats_ms else 0
        # A source the listener pulls from (file, stdin, host stream) needs two slots; a
        # live one (I2S) wants a few more of slack: ring_slots.
        self.ring = AudioRing(fe.hop, ring_slots)
        self.frame = bytearray(fe.features)
        # The feature window slides inside the model's input when the arena plan keeps
        # the input's bytes untouched (and nothing rewrites them before inference);
        # otherwise it is a buffer of its own, copied in before each inference.
        self.in_place = model.input_persists and self.peaks is None
        self.window = model.input if self.in_place else bytearray(len(model.input))
        self.source = None
        self.reset()
        # Everything needed from the metadata is in the objects above: on a small board
        # its parsed form is heap better left to the pipeline.
        model.release_metadata()

    def reset(self):
        self.hops = 0
        self.frames = 0  # feature frames the front end has produced
        self.inferences = 0
        self.gated = 0
        self.loud = 0  # hops left before the newest loud hop leaves the window
        self.detector.reset()
        self.frontend.reset()
        if self.cascade is not None:
            self.cascade.reset()
        self.peak_at = 0
        if self.peaks is not None:
            for i in range(len(self.peaks)):
                self.peaks[i] = 0
        for i in range(len(self.window)):
            self.window[i] = 0

    @property
    def t_ms(self):
        return self.hops * self.hop_ms

    def hop(self, samples):
        # One hop of int16 samples: features, then (every N frames once the window is
        # full: ESPHome's stride for a streaming model) the model and detector.
        produced = self.frontend.process(samples, self.frame)
        if produced:
            _earshot.shift_in(self.window, self.frame)
            self.frames += 1
        self.hops += 1
        peaks = self.peaks
        if peaks is not None:
            peaks[self.peak_at] = _earshot.peak(samples)
            self.peak_at = (self.peak_at + 1) % len(peaks)
        if self.gate:
            if _earshot.mean_square(samples) >= self.gate:
                self.loud = self.frontend.frames
            elif self.loud:
                self.loud -= 1
        cascade = self.cascade
        awake = True
        if produced and cascade is not None:
            level = _earshot.mean_square(samples) if cascade.level else 0
            awake = cascade.frame(self.frame, level)
        due = self.frames - self.frontend.frames
        if produced and due >= 0 and due % self.every == 0:
            if self.gate and not self.loud:
                self.gated += 1
            elif not awake:
                self.gated += 1
                cascade.skip()
                self.detector.update(self.t_ms, self.silence)  # a score of 0 detects nothing
            else:
                if cascade is not None:
                    cascade.wake(self.model)
                if not self.in_place:
                    _earshot.copy(self.model.input, self.window)
                if peaks is not None:
                    self.frontend.normalize(self.model.input, peaks)
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
        self.console.hello(self.name, self.labels, self.hop_ms, fe.sample_rate, self.model_source)
        while source.fill(self.ring):
            if pace is not None:
                pace(self.t_ms)
            self.drain()
        self.drain()
        self.stats()
        self.console.end(self.t_ms)
