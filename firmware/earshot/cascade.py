# Tiered always-on: a cheap first stage decides when the wake-word model runs.
#
#     cascade = Cascade(vad_model, stride=3)          # microWakeWord's VAD model, or
#     cascade = Cascade(None, stride=3, level=gate)   # the energy gate (mean square)
#
# The listener (stream.py) hands every feature frame (and its hop's mean square) to
# cascade.frame(); the first stage says "speech" while the VAD model's latest uint8
# output is >= its cutoff (or while hops reach the energy level), and the gate stays open
# `hangover` frames after the last speech frame. The wake-word model keeps its stride;
# an invocation that falls due while the gate is closed is skipped (the detector then
# sees the output's zero point, a score of 0). A streaming model skipped during silence
# no longer holds the recent past in its state, so the first invocation after the gate
# opens starts it afresh and replays the last `replay` frames first, in the groups it
# would have seen (cascade.wake(model)): Model.reset(), then one invocation per group of
# the ring; the host's measurement (earshot_host.wakeword_oracle.run_cascade) follows
# these steps exactly. A model whose input is a window of many frames (micro_speech) has
# no state to rebuild: it is neither reset nor replayed. Everything is allocated here,
# once: frame() allocates nothing.

import _earshot


class Cascade:
    def __init__(self, vad, stride, features=40, hangover=50, replay=60, level=0,
                 cutoff=None):  # fmt: skip
        if vad is None and not level:
            raise ValueError("a cascade needs a VAD model or an energy level")
        self.vad = vad
        self.stride = stride
        self.hangover = hangover
        self.level = level
        if vad is not None:
            if len(vad.input) != stride * features:
                raise ValueError("the VAD model takes {} values, not {} frames of {}".format(
                    len(vad.input), stride, features))  # fmt: skip
            if cutoff is None:
                cutoff = vad.metadata.get("detector", {}).get("threshold", 0.5)
            self.cutoff = int(cutoff * 255)
        groups = replay // stride
        # The ring: the replayed groups, then the current one (the newest frames).
        step = stride * features
        self.ring = bytearray((groups + 1) * step)
        ring = memoryview(self.ring)
        self.groups = [ring[i * step : (i + 1) * step] for i in range(groups + 1)]
        self.reset()

    def reset(self):
        self.frames = 0
        self.open_left = 0
        self.was_open = False
        self.latest = 0
        self.opened = 0
        self.vad_inferences = 0
        self.replayed = 0
        for i in range(len(self.ring)):
            self.ring[i] = 0

    def frame(self, frame, mean_square=0):
        # One feature frame (and the mean square of its hop). Returns True when the
        # wake-word model's invocation due on this frame should run.
        self.frames += 1
        _earshot.shift_in(self.ring, frame)
        due = self.frames % self.stride == 0
        vad = self.vad
        if vad is not None:
            _earshot.shift_in(vad.input, frame)
            if due:
                vad.invoke()
                self.vad_inferences += 1
                self.latest = vad.output[0] & 0xFF  # uint8, whatever the view's sign
            speech = self.latest >= self.cutoff
        else:
            speech = mean_square >= self.level
        if speech:
            self.open_left = self.hangover
        elif self.open_left:
            self.open_left -= 1
        return self.open_left > 0

    def wake(self, model):
        # Before the invocation due now: if the gate was closed at the previous one, start
        # the model afresh and replay the ring's groups older than the current one (those
        # the stream has filled), oldest first; the model's input then holds the current
        # group again.
        opening = not self.was_open
        self.was_open = True
        if not opening:
            return
        self.opened += 1
        groups = self.groups
        if len(model.input) != len(groups[0]):
            return  # a windowed model (input = many frames) holds its context itself
        model.reset()
        current = len(groups) - 1
        filled = min(current, self.frames // self.stride - 1)
        for i in range(current - filled, current):
            _earshot.copy(model.input, groups[i])
            model.invoke()
            self.replayed += 1
        _earshot.copy(model.input, groups[current])

    def skip(self):
        # The invocation due now is skipped (the gate is closed).
        self.was_open = False
