# ESPHome's micro_wake_word detection rule (the "esphome" rule of earshot.settings), run
# once per feature frame (every hop): the cutoff is the uint8 int(threshold * 255); a
# detection when the sum of the last `size` uint8 outputs (the sliding window) exceeds
# cutoff * size and the hold-off counter is >= 0. The counter starts at -holdoff (100
# frames) and returns there after a detection (the recent outputs are then cleared to 0);
# it counts up by one, to 0, for every frame whose latest output (the newest in the
# window) is below the cutoff. The check runs after every frame, whether the model ran on
# it or not. Same interface as detect.Detector; nothing here allocates per frame.

from .detect import _FAR


def cutoff_u8(threshold):
    # ESPHome's uint8 cutoff, int(threshold * 255) as computed in double precision; a
    # port with single-precision floats lands within 1e-4 of the same product.
    x = threshold * 255
    c = int(x)
    if c + 1 - x < 1e-4:
        c += 1
    return c


class EsphomeDetector:
    every_hop = True  # updated every feature frame (output None when the model did not run)

    def __init__(self, labels, hop_ms, every=3, average_ms=150, threshold=0.5,
                 suppress_ms=1000, min_count=None, ignore=(), score_zero_point=0):  # fmt: skip
        if not labels:
            raise ValueError("detector needs the model's labels")
        if not 0.0 < threshold < 1.0:
            raise ValueError("detector threshold must be between 0 and 1")
        if hop_ms <= 0 or every < 1 or average_ms <= 0 or suppress_ms < 0:
            raise ValueError("detector hop and window must be positive")
        self.labels = tuple(labels)
        self.cutoff = cutoff_u8(threshold)
        self.size = max(1, average_ms // (hop_ms * every))
        self.limit = self.cutoff * self.size
        self.holdoff = min(_FAR, suppress_ms // hop_ms)
        self.recent = bytearray(self.size)
        self.zero_point = score_zero_point
        self.reset()

    def reset(self):
        recent = self.recent
        for i in range(self.size):
            recent[i] = 0
        self.at = 0
        self.total = 0
        self.counter = -self.holdoff
        self.detections = 0
        self.score = 0

    def update(self, elapsed, output):
        # One feature frame; output: the model's output if it ran on this frame, else None
        # (elapsed is 1: this rule sees every frame). Returns 0 (the wake word) or -1.
        recent = self.recent
        if output is not None:
            q = output[0]
            if q < 0:  # an int8 view of the uint8 output
                q += 256
            at = self.at + 1
            if at == self.size:
                at = 0
            self.total += q - recent[at]
            recent[at] = q
            self.at = at
        if self.counter < 0 and recent[self.at] < self.cutoff:
            self.counter += 1
        if self.counter < 0 or self.total <= self.limit:
            return -1
        self.score = self.total // self.size
        for i in range(self.size):
            recent[i] = 0
        self.total = 0
        self.counter = -self.holdoff
        self.detections += 1
        return 0
