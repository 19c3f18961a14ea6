# Detection rules: turn a stream of per-inference scores into detections.
#
# Time is counted in hops (the front end's step), never in milliseconds: the caller gives
# each update the hops elapsed since the previous one, and every counter here stays a
# small int for any uptime (a wrapping tick masked to 29 bits, differences taken modulo
# it, and counts that saturate), so an update never allocates and never wraps wrongly.
#
# Detector ("average", the default): TFLM's RecognizeCommands, suppressing every class.
# Scores are the model's int8 output (a softmax with zero point -128 and scale 1/256, so
# q + 128 is the probability in 1/256 units). The scores of the last average_ms of audio
# sit in a preallocated ring with running sums, so each update costs O(classes). A class
# is detected when its average is above the threshold over at least min_count results
# and no detection was made within the last suppress_ms.
#
# esphome.EsphomeDetector ("esphome"): ESPHome's micro_wake_word rule.

from array import array

TICK_MASK = 0x1FFFFFFF  # ticks wrap at 2**29: differences of two ticks stay small ints
_FAR = 0x10000000  # "long ago": more than any window or suppression in hops


class Detector:
    every_hop = False  # updated after each inference only

    def __init__(self, labels, hop_ms, every=1, average_ms=1000, threshold=0.8,
                 suppress_ms=1500, min_count=3, ignore=(), score_zero_point=-128):  # fmt: skip
        if not labels:
            raise ValueError("detector needs the model's labels")
        if not 0.0 < threshold < 1.0:
            raise ValueError("detector threshold must be between 0 and 1")
        if hop_ms <= 0 or every < 1 or average_ms <= 0 or min_count < 1 or suppress_ms < 0:
            raise ValueError("detector hop, window and minimum count must be positive")
        self.labels = tuple(labels)
        self.classes = len(self.labels)
        self.min_count = min_count
        self.zero_point = score_zero_point
        # A result leaves the window once it is `window` hops old; a detection within
        # `suppress` hops of the last one is suppressed (the ms figures, exactly: audio
        # time is a whole number of hops).
        self.window = min(_FAR, -(-average_ms // hop_ms))
        self.suppress = min(_FAR - 1, suppress_ms // hop_ms)
        # Threshold on the 0..256 scale of q - zero_point.
        self.threshold = int(threshold * 256)
        self.report = bytearray(1 if label not in ignore else 0 for label in self.labels)
        # Enough slots for one result per inference over the window.
        self.capacity = max(min_count, average_ms // (hop_ms * every) + 1)
        self.scores = bytearray(self.capacity * self.classes)
        self.ticks = array("i", bytes(4 * self.capacity))
        self.sums = array("i", bytes(4 * self.classes))
        self.reset()

    def reset(self):
        for i in range(self.classes):
            self.sums[i] = 0
        self.head = 0
        self.count = 0
        self.now = 0
        self.quiet = _FAR  # hops since the last detection (saturating)
        self.detections = 0
        self.score = 0

    def _evict_oldest(self):
        tail = (self.head - self.count) % self.capacity
        base = tail * self.classes
        scores, sums = self.scores, self.sums
        for c in range(self.classes):
            sums[c] -= scores[base + c]
        self.count -= 1

    def update(self, elapsed, output):
        # Feed one inference: elapsed is the number of hops since the previous update
        # (any size: a long gated stretch), output the int8 scores (a buffer of `classes`
        # int8 values). Returns the detected class index or -1; the most recent score of
        # the returned class is in self.score (0..1 scale * 256).
        if elapsed >= self.window:
            # Every result in the window is too old.
            while self.count:
                self._evict_oldest()
            elapsed = self.window
        now = (self.now + elapsed) & TICK_MASK
        self.now = now
        quiet = self.quiet + elapsed
        self.quiet = quiet if quiet < _FAR else _FAR
        window, ticks, capacity = self.window, self.ticks, self.capacity
        while self.count:
            if (now - ticks[(self.head - self.count) % capacity]) & TICK_MASK < window:
                break
            self._evict_oldest()
        if self.count == capacity:
            self._evict_oldest()
        zp = self.zero_point
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
        ticks[self.head] = now
        self.head = (self.head + 1) % capacity
        self.count += 1
        if self.count < self.min_count:
            return -1
        top = 0
        for c in range(1, self.classes):
            if sums[c] > sums[top]:
                top = c
        average = sums[top] // self.count
        self.score = average
        if not self.report[top] or average <= self.threshold:
            return -1
        if self.quiet <= self.suppress:
            # A detection suppresses every detection for suppress_ms after it.
            return -1
        self.quiet = 0
        self.detections += 1
        return top


def make_detector(settings, labels, hop_ms, ignore=(), score_zero_point=-128):
    # The detector of the settings in force (earshot.settings.resolve). The esphome rule
    # lives in its own module: a board that does not use it keeps the heap it would take.
    if settings.get("rule") == "esphome":
        from .esphome import EsphomeDetector as rule
    else:
        rule = Detector
    return rule(labels, hop_ms, settings["every"], settings["average_ms"], settings["threshold"],
                settings["suppress_ms"], settings["min_count"], ignore,
                score_zero_point)  # fmt: skip


def defaults(meta):
    # The model's own settings (complete), from its metadata, and its rule.
    detector = meta.get("detector", {})
    streaming = meta.get("streaming", {})
    rule = detector.get("rule", "average")
    if rule not in ("average", "esphome"):
        raise ValueError("model's detector rule {!r} is not average or esphome".format(rule))
    every = streaming.get("hops_per_inference", 1)
    out = {"rule": rule, "every": every, "gate": detector.get("gate")}
    if rule == "esphome":
        hop_ms = meta.get("frontend", {}).get("hop_ms", 10)
        out["threshold"] = detector.get("threshold", 0.5)
        out["average_ms"] = detector.get("sliding_window", 5) * every * hop_ms
        out["suppress_ms"] = detector.get("holdoff_frames", 100) * hop_ms
        out["min_count"] = None
    else:
        out["threshold"] = detector.get("threshold", 0.8)
        out["average_ms"] = detector.get("average_window_ms", 1000)
        out["suppress_ms"] = detector.get("suppression_ms", 1500)
        out["min_count"] = detector.get("minimum_count", 3)
    return out


def resolve(meta, hop_ms, *layers):
    # The settings in force for a model of metadata meta (hop_ms: its front end's hop):
    # its defaults, then its shipped settings, then each of layers (dicts of checked
    # settings, later ones win), normalized to what the detector will do.
    force = defaults(meta)
    shipped = meta.get("settings")
    if shipped:
        from .settings import check

        force.update(check(shipped, "model's settings"))
    for layer in layers:
        if layer:
            force.update(layer)  # checked by whoever made it (earshot.settings)
    if force["rule"] == "esphome":
        if force["min_count"] is not None and "min_count" in _given(meta, layers):
            raise ValueError("min_count does not apply to the esphome rule")
        force["min_count"] = None
        period = hop_ms * force["every"]
        force["average_ms"] = max(1, force["average_ms"] // period) * period
        force["suppress_ms"] = force["suppress_ms"] // hop_ms * hop_ms
    elif force["min_count"] is None:
        raise ValueError("the average rule needs min_count")
    return force


def _given(meta, layers):
    keys = set(meta.get("settings", {}))
    for layer in layers:
        keys.update(layer or ())
    return keys
