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
#
# Time: audio time, hops, inferences and gated inferences are clock.Counts (exact for any
# uptime, never a big int); the schedule (inference every N hops once the window is full,
# stats every M hops) runs on countdowns, and the detector gets the hops elapsed between
# its updates, so no counter grows without bound. t0_ms starts the audio clock at any
# value (a field log's time): every t_ms is then t0_ms plus what it would be without it.
#
# Two cores (cores=2, where _thread runs: the RP2040's core 1; earshot.dualcore): this
# core keeps the audio, the front end and the window and hands each inference to the other
# core ("split"), or, with alternate=True, every other inference to the other core and
# runs the rest itself on a second Model over the same bytes (a second arena: when one
# core alone cannot run an inference within its period). The detector then runs behind
# the audio: every hop's kind (no inference, gated, handed over) waits in a small ring
# until the outputs before it have come back, and the detector takes the hops in order
# with the same elapsed-hop accounting and audio times as on one core (so the same
# detections, each at the same t_ms; a stats line may precede a detection of up to an
# inference earlier). A live source's ring then holds an inference's worth of hops.

import gc
from array import array

import _earshot

from . import clock
from .detect import make_detector, resolve
from .protocol import Console
from .ring import AudioRing

# Kinds of hop for the detector behind a second core.
_NONE = 0  # no inference due
_GATED = 1  # inference due, the gate closed
_HANDED = 2  # inference handed over: its output comes back in order


def gate_level(dbfs):
    # Mean-square energy of a full-scale int16 sine at dbfs (0 dBFS = 32768^2 / 2).
    if dbfs is None:
        return 0
    return int(536870912 * 10 ** (dbfs / 10))


class Listener:
    # settings: detector settings over the model's defaults (earshot.settings: a dict of
    # some of its KEYS, checked); self.settings holds those in force. t0_ms: the audio
    # time of the first sample. tap: an object with hop(samples, counts) and
    # detection(counts), told about every hop's audio (earshot.record), or None. trace:
    # print every inference's raw output (a "scores" line: `earshot calibrate`, plots).
    # open_source: a function (sample_rate, hop) -> source, called once the front end is
    # known and before the pipeline's other buffers, so that the source's own (a line
    # buffer, DMA slots) lie with them at the bottom of the heap (self.source); run()
    # then takes no source.
    # cores: 1, or 2 (inference on the second core, earshot.dualcore; alternate: every
    # other inference on this core, on a second Model of the same bytes).
    tap = None
    trace = False
    source = None
    cores = None  # the InferenceCore with cores=2

    def __init__(self, model, console=None, settings=None, stats_ms=10000, ring_slots=2,
                 t0_ms=0, cascade=None, open_source=None, cores=1,
                 alternate=False):  # fmt: skip
        gc.collect()  # long-lived buffers follow: keep them together at the bottom
        # The name is read first: with the heap full, reading it (JSON metadata) in the
        # except clause would raise a second MemoryError instead of the reason.
        name = "model's"
        try:
            name = model.name
            self._setup(model, console, settings, stats_ms, ring_slots, t0_ms, cascade,
                        open_source, cores, alternate)  # fmt: skip
        except MemoryError:
            if self.cores is not None:
                self.cores.close()
            self.cores = None
            if self.source is not None:
                self.source.close()
            self.source = None
            gc.collect()
            raise ValueError(
                "the {} pipeline does not fit: {} bytes of heap free after its model".format(
                    name, gc.mem_free()
                )
            ) from None

    def _setup(self, model, console, settings, stats_ms, ring_slots, t0_ms, cascade,
               open_source, cores, alternate):  # fmt: skip
        # (Few attributes: on a 20 KiB heap the instance's dict is felt.) What needs the
        # parsed metadata comes first; the metadata is then released and the long-lived
        # buffers are allocated together, not around its holes.
        self.counts = clock.counts(t0_ms)
        meta = model.metadata
        fe_meta = meta.get("frontend")
        if not fe_meta:
            raise ValueError("model {} has no audio front end".format(meta.get("name")))
        self.settings = resolve(meta, fe_meta.get("hop_ms", 1), settings)
        if cores == 2:
            try:
                from .dualcore import InferenceCore
            except ImportError:
                raise ValueError(
                    "2 cores need _thread (the second core runs the model): this port has none"
                ) from None
            if cascade is not None:
                raise ValueError("a cascade (--vad) runs on one core only")
        elif cores != 1:
            raise ValueError("cores must be 1 or 2, not {}".format(cores))
        elif alternate:
            raise ValueError("alternating inferences needs 2 cores")
        self.model = model
        self.name = model.name
        self.model_source = getattr(model, "source", None)
        # "peak": scale each window as if its audio were divided by its largest sample, as
        # the model was trained (MLPerf KWS normalizes every clip by its max).
        normalize = meta.get("streaming", {}).get("normalize")
        if normalize not in (None, "peak"):
            raise ValueError("unknown streaming normalization {!r}".format(normalize))
        ignore = tuple(meta.get("detector", {}).get("ignore", ()))
        labels = tuple(model.labels)
        # Everything needed from the metadata is in hand: on a small board its parsed
        # form is heap better left to the pipeline, whose buffers (the front end's state
        # first, the largest) then go together, not around its holes.
        meta = None
        model.release_metadata()
        gc.collect()
        self.frontend = _earshot.Frontend(model._buffer, fe_meta)
        fe_meta = None
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
        if normalize and fe.kind != "mfcc":
            raise ValueError("peak normalization needs an mfcc front end")
        if open_source is not None:
            self.source = open_source(fe.sample_rate, fe.hop)
        self.peaks = array("h", bytes(2 * fe.frames)) if normalize else None
        self.detector = make_detector(self.settings, labels, self.hop_ms, ignore,
                                      model.output_quant[1])  # fmt: skip
        self.console = console or Console()
        self.gate = gate_level(self.settings["gate"])
        # An optional first stage (earshot.cascade: VAD model or energy); while it keeps
        # the gate closed, the detector hears the output's zero point.
        self.cascade = cascade
        if cascade is not None:
            zp = model.output_quant[1]
            n = len(model.output)
            self.silence = array("b", [zp] * n) if zp < 0 else bytearray([zp] * n)
        self.stats_hops = max(1, stats_ms // self.hop_ms) if stats_ms else 0
        # A source the listener pulls from (file, stdin, host stream) needs two slots; a
        # live one (I2S) wants a few more of slack: ring_slots. With the model on the
        # other core, this core may wait up to an inference for it: a live source's ring
        # then holds an inference's worth of hops (6 slots of 20 ms for mlperf_kws).
        every = self.settings["every"]
        if cores == 2 and ring_slots > 2:
            ring_slots = max(ring_slots, every + 1)
        self.ring = AudioRing(fe.hop, ring_slots)
        self.frame = bytearray(fe.features)
        # The feature window slides inside the model's input when the arena plan keeps
        # the input's bytes untouched (and nothing rewrites them before inference);
        # otherwise it is a buffer of its own, copied in before each inference (always
        # with 2 cores: the other core reads the input while this one shifts frames in).
        in_place = model.input_persists and self.peaks is None and cores == 1
        self.window = model.input if in_place else bytearray(len(model.input))
        if cores == 2:
            second = None
            if alternate:
                if self.detector.every_hop:
                    raise ValueError(
                        "alternating cores needs a model without streaming state "
                        "(each core's arena would keep its own)"
                    )
                second = type(model)(model._buffer, False)  # a second arena
            # The hops the detector is behind (kinds), its audio time (lane) and the
            # bound methods the core calls (made once: a bound method allocates).
            self.kinds = bytearray(2 * every + 2)
            self.lane = clock.counts(t0_ms)
            self.fill = self.fill
            self.cores = InferenceCore(model, self.output, second)
        self.reset()

    def reset(self):
        clock.reset(self.counts)
        cores = self.cores
        if cores is not None:
            if cores.busy:
                cores.wait()  # its output to the detector, reset below
            clock.reset(self.lane)
            self.head = 0
            self.behind = 0  # hops in kinds
        # Frames until the first inference (the window full), then every N frames (ESPHome's
        # stride for a streaming model). A hop may produce no frame (a front end whose
        # window is longer than its hop, at the start).
        self.due = self.frontend.frames
        self.stats_due = self.stats_hops  # hops until the next stats line
        self.since = 0  # hops since the detector's last update
        self.loud = 0  # hops left before the newest loud hop leaves the window
        self.detector.reset()
        self.frontend.reset()
        self.peak_at = 0
        if self.peaks is not None:
            for i in range(len(self.peaks)):
                self.peaks[i] = 0
        for i in range(len(self.window)):
            self.window[i] = 0
        if self.cascade is not None:
            self.cascade.reset()

    @property
    def every(self):
        return self.settings["every"]

    def total(self, name):
        # A count as an int: "ms" (audio time, t0 included), "hops", "inferences" or
        # "gated" (a big int past 2**30: for tests and tools, not the hop path).
        return clock.total(self.counts, 2 * clock.NAMES.index(name))

    def hop(self, samples):
        # One hop of int16 samples: features, then (every N frames once the window is
        # full) the model and detector.
        counts = self.counts
        if self.tap is not None:
            self.tap.hop(samples, counts)
        produced = self.frontend.process(samples, self.frame)
        if produced:
            _earshot.shift_in(self.window, self.frame)
        clock.add(counts, clock.HOPS, 1)
        clock.add(counts, clock.MS, self.hop_ms)
        peaks = self.peaks
        if peaks is not None:
            peaks[self.peak_at] = _earshot.peak(samples)
            self.peak_at = (self.peak_at + 1) % len(peaks)
        if self.gate:
            if _earshot.mean_square(samples) >= self.gate:
                self.loud = self.frontend.frames
            elif self.loud:
                self.loud -= 1
        output = None
        cores = self.cores
        if produced:
            cascade = self.cascade
            awake = True
            if cascade is not None:
                level = _earshot.mean_square(samples) if cascade.level else 0
                awake = cascade.frame(self.frame, level)
            self.due -= 1
            if self.due == 0:
                self.due = self.settings["every"]
                if cores is None:
                    output = self.infer(awake)
                else:
                    self.hand_over()  # the hop's kind goes behind the detector
                    cores = None
        if self.cores is None:
            self.feed(counts, output)
        else:
            if cores is not None:
                self.push(_NONE)
            self.cores.poll()
        if self.stats_hops:
            self.stats_due -= 1
            if self.stats_due == 0:
                self.stats_due = self.stats_hops
                self.stats()

    def feed(self, counts, output):
        # The detector on one hop at the audio time counts: output, the model's output if
        # an inference ran on it (None: none, or gated).
        detector = self.detector
        if output is not None:
            if self.trace:
                self.console.scores(counts, output)
            found = detector.update(self.since, output)
            self.since = 0
        elif detector.every_hop:
            found = detector.update(1, None)
        else:
            found = -1
        if found >= 0:
            self.console.detection(counts, detector.labels[found], detector.score)
            if self.tap is not None:
                self.tap.detection(counts)

    def infer(self, awake=True):
        # The model on the window (the model's output), or None when the gate is closed;
        # scores of zero (the output's zero point) while a cascade's first stage sleeps.
        self.since += self.settings["every"]
        if self.gate and not self.loud:
            clock.add(self.counts, clock.GATED, 1)
            if self.since > 0x10000000:
                self.since = 0x10000000  # "long ago" for the detector: a small int
            return None
        model = self.model
        if not awake:
            clock.add(self.counts, clock.GATED, 1)
            self.cascade.skip()
            return self.silence
        if self.cascade is not None:
            self.cascade.wake(model)
        if self.window is not model.input:
            _earshot.copy(model.input, self.window)
        if self.peaks is not None:
            self.frontend.normalize(model.input, self.peaks)
        model.invoke()
        clock.add(self.counts, clock.INFERENCES, 1)
        return model.output

    # With 2 cores: the detector behind the audio.

    def hand_over(self):
        # The inference due now: to the other core (or, alternating, to this one), its
        # output back to output() in order; gated: no inference, as infer() counts it.
        if self.gate and not self.loud:
            clock.add(self.counts, clock.GATED, 1)
            self.push(_GATED)
            return
        clock.add(self.counts, clock.INFERENCES, 1)
        self.push(_HANDED)  # first: its output may come back within handover()
        self.cores.handover(self.fill)

    def fill(self, inp):
        # The window into a model's input (the core's own), peak-normalized if so trained.
        _earshot.copy(inp, self.window)
        if self.peaks is not None:
            self.frontend.normalize(inp, self.peaks)

    def push(self, kind):
        # One more hop behind the detector; the detector then takes every hop it can.
        kinds = self.kinds
        if self.behind == len(kinds):
            self.cores.wait()  # full: the oldest, handed over, comes back first
        kinds[(self.head + self.behind) % len(kinds)] = kind
        self.behind += 1
        self.catch_up()

    def catch_up(self):
        # The detector on the waiting hops up to the oldest whose output is still out.
        kinds = self.kinds
        while self.behind and kinds[self.head] != _HANDED:
            self.step(kinds[self.head], None)

    def output(self, output):
        # InferenceCore's on_output: the output of the oldest hop handed over.
        self.step(_HANDED, output)
        self.catch_up()

    def step(self, kind, output):
        # The detector on the oldest waiting hop, at its audio time (lane), as infer() and
        # hop() would have run it on one core.
        lane = self.lane
        clock.add(lane, clock.HOPS, 1)
        clock.add(lane, clock.MS, self.hop_ms)
        self.head = (self.head + 1) % len(self.kinds)
        self.behind -= 1
        if kind != _NONE:
            self.since += self.settings["every"]
            if kind == _GATED and self.since > 0x10000000:
                self.since = 0x10000000
        self.feed(lane, output)

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
        self.console.stats(self.counts, ring.overruns + lost,
                           ring.dropped_samples + lost * ring.block, malformed,
                           gc.mem_free())  # fmt: skip

    def hello(self):
        fe = self.frontend
        self.console.hello(self.name, self.detector.labels, self.hop_ms, fe.sample_rate,
                           self.model_source, self.settings)  # fmt: skip

    def run(self, source=None, pace=None):
        # Listen until the source ends (None: the one open_source gave). pace(), if given,
        # is called before each hop (real-time playback of a file).
        if source is None:
            source = self.source
        if source.sample_rate != self.frontend.sample_rate:
            raise ValueError("source is {} Hz, the model needs {} Hz".format(
                source.sample_rate, self.frontend.sample_rate))  # fmt: skip
        self.source = source
        cores = self.cores
        if cores is not None and cores._stop:  # stopped by an earlier run: start it again
            from .dualcore import InferenceCore

            self.cores = InferenceCore(self.model, self.output, cores.second)
        self.hello()
        while source.fill(self.ring):
            if pace is not None:
                pace()
            self.drain()
        self.drain()
        if self.cores is not None:
            self.cores.close()  # the last output to the detector, then the core stops
        self.stats()
        self.console.end(self.counts)
