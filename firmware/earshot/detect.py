# Posterior smoothing: turns a stream of per-inference class scores into detections.
#
# Scores are the model's int8 output (a softmax with zero point -128 and scale 1/256, so
# q + 128 is the probability in 1/256 units). The detector keeps the scores of the last
# `average_window_ms` of audio in a preallocated ring with running sums, so each update
# costs O(classes) and allocates nothing. A class is detected when its average is above
# the threshold over at least `minimum_count` results and no detection was made within
# the last `suppression_ms` (TFLM's RecognizeCommands, but suppressing every class).

from array import array


class Detector:
    def __init__(
        self,
        labels,
        hop_ms,
        average_window_ms=1000,
        threshold=0.8,
        suppression_ms=1500,
        minimum_count=3,
        ignore=(),
        score_zero_point=-128,
    ):
        if not labels:
            raise ValueError("detector needs the model's labels")
        if not 0.0 < threshold < 1.0:
            raise ValueError("detector threshold must be between 0 and 1")
        if hop_ms <= 0 or average_window_ms <= 0 or minimum_count < 1:
            raise ValueError("detector hop, window and minimum count must be positive")
        self.labels = tuple(labels)
        self.classes = len(self.labels)
        self.average_window_ms = average_window_ms
        self.suppression_ms = suppression_ms
        self.minimum_count = minimum_count
        self.zero_point = score_zero_point
        # Threshold on the 0..256 scale of q - zero_point.
        self.threshold = int(threshold * 256)
        self.report = bytearray(1 if label not in ignore else 0 for label in self.labels)
        # Enough slots for one result per hop over the window.
        self.capacity = max(minimum_count, average_window_ms // hop_ms + 1)
        self.scores = bytearray(self.capacity * self.classes)
        self.times = array("i", bytes(4 * self.capacity))
        self.sums = array("i", bytes(4 * self.classes))
        self.reset()

    def reset(self):
        for i in range(self.classes):
            self.sums[i] = 0
        self.head = 0
        self.count = 0
        self.last_label = -1
        self.last_time = 0
        self.detections = 0
        self.score = 0

    def _evict_oldest(self):
        tail = (self.head - self.count) % self.capacity
        base = tail * self.classes
        scores, sums = self.scores, self.sums
        for c in range(self.classes):
            sums[c] -= scores[base + c]
        self.count -= 1

    def update(self, t_ms, output):
        # Feed one inference: t_ms is the audio time of its end, output the int8 scores
        # (a buffer of `classes` int8 values). Returns the detected class index or -1.
        # The most recent score of the returned class is in self.score (0..1 scale * 256).
        zp = self.zero_point
        window = self.average_window_ms
        while self.count and t_ms - self.times[(self.head - self.count) % self.capacity] >= window:
            self._evict_oldest()
        if self.count == self.capacity:
            self._evict_oldest()
        base = self.head * self.classes
        scores, sums = self.scores, self.sums
        for c in range(self.classes):
            q = output[c]
            if q > 127:  # a bytes/bytearray view of int8 data
                q -= 256
            v = q - zp
            v = 0 if v < 0 else (255 if v > 255 else v)
            scores[base + c] = v
            sums[c] += v
        self.times[self.head] = t_ms
        self.head = (self.head + 1) % self.capacity
        self.count += 1
        if self.count < self.minimum_count:
            return -1
        top = 0
        for c in range(1, self.classes):
            if sums[c] > sums[top]:
                top = c
        average = sums[top] // self.count
        self.score = average
        if not self.report[top] or average <= self.threshold:
            return -1
        if self.last_label >= 0 and t_ms - self.last_time <= self.suppression_ms:
            # A detection suppresses every detection for suppression_ms after it.
            return -1
        self.last_label = top
        self.last_time = t_ms
        self.detections += 1
        return top
