"""ESPHome's micro_wake_word detection rule, written plainly from its description
(microWakeWord's SOURCES.md; see docs/DETECTION.md): the host's reference for the
device's `earshot.esphome.EsphomeDetector`, which keeps running sums instead.

Per feature frame, in this order: if the model ran on the frame, its uint8 output goes
into the ring of the last `sliding_window_size` outputs; if the hold-off counter is below
0 and the newest output in the ring is below the cutoff, the counter counts up by one;
then a detection when the counter is >= 0 and the sum of the ring exceeds cutoff x
window. A detection clears the ring to 0 and sets the counter back to -holdoff_frames
(it starts there). The cutoff is the uint8 int(probability_cutoff * 255).
"""

from __future__ import annotations

from collections.abc import Iterable


def cutoff_u8(probability_cutoff: float) -> int:
    """ESPHome's uint8 cutoff (0.97 -> 247)."""
    return int(probability_cutoff * 255)


class EsphomeRule:
    def __init__(
        self, probability_cutoff: float, sliding_window_size: int, holdoff_frames: int = 100
    ) -> None:
        self.cutoff = cutoff_u8(probability_cutoff)
        self.window = sliding_window_size
        self.holdoff = holdoff_frames
        self.recent = [0] * sliding_window_size
        self.newest = 0  # index of the newest output in recent
        self.counter = -holdoff_frames

    def frame(self, output: int | None) -> bool:
        """One feature frame (output: the model's uint8 output if it ran on this frame).
        True when the wake word is detected on it."""
        if output is not None:
            self.newest = (self.newest + 1) % self.window
            self.recent[self.newest] = output
        if self.counter < 0 and self.recent[self.newest] < self.cutoff:
            self.counter += 1
        if self.counter >= 0 and sum(self.recent) > self.cutoff * self.window:
            self.recent = [0] * self.window
            self.counter = -self.holdoff
            return True
        return False


def detection_frames(
    outputs: Iterable[int],
    stride: int,
    probability_cutoff: float,
    sliding_window_size: int,
    holdoff_frames: int = 100,
    first_frame: int | None = None,
) -> list[int]:
    """The frames (numbered from 1) on which the rule detects, for a model that ran once
    every `stride` frames from frame `first_frame` (default: stride) on, giving `outputs`.
    Frames after the last output are not looked at."""
    rule = EsphomeRule(probability_cutoff, sliding_window_size, holdoff_frames)
    frame = 0
    next_run = stride if first_frame is None else first_frame
    found = []
    for output in outputs:
        while True:
            frame += 1
            ran = frame == next_run
            if rule.frame(output if ran else None):
                found.append(frame)
            if ran:
                next_run += stride
                break
    return found
