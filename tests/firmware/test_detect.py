"""The detector smooths scores into detections, identically on every target, allocating
nothing per update."""

from __future__ import annotations

SETUP = """
from earshot.detect import Detector
d = Detector(("silence", "unknown", "yes", "no"), hop_ms=20, every=2, average_ms=1000,
             threshold=0.784, suppress_ms=1500, min_count=3,
             ignore=("silence", "unknown"))
SIL = bytes((127, 0x80, 0x80, 0x80))          # int8 [127, -128, -128, -128]
YES = bytes((0x80, 0x80, 127, 0x80))
UNKNOWN = bytes((0x80, 127, 0x80, 0x80))
LOW_NO = bytes((0x80, 0x80 + 76, 0x80, 52))   # int8 [-128, -52, -128, 52]: "no" at 180/256
def feed(score, start, stop, found):
    for t in range(start, stop, 40):
        c = d.update(2, score)
        if c >= 0:
            found.append((t, d.labels[c]))
"""


def detections(target, plan: str) -> list[tuple[int, str]]:
    return target.eval("found", setup=SETUP + "found = []\n" + plan)


def test_a_word_is_detected_once_when_its_average_crosses_the_threshold(target):
    found = detections(target, "feed(SIL, 0, 2000, found)\nfeed(YES, 2000, 2800, found)\n"
                               "feed(SIL, 2800, 6000, found)")  # fmt: skip
    # The 1 s average of "yes" passes 200/256 after 800 ms of silence left the window...
    assert len(found) == 1
    t, label = found[0]
    assert label == "yes"
    assert 2000 < t < 2800


def test_ignored_classes_and_low_scores_are_never_reported(target):
    plan = (
        "feed(SIL, 0, 3000, found)\n"
        "feed(UNKNOWN, 3000, 6000, found)\n"
        "feed(LOW_NO, 6000, 9000, found)"
    )
    assert detections(target, plan) == []


def test_suppression_keeps_one_detection_per_word(target):
    plan = "feed(YES, 0, 1400, found)\nfeed(YES, 1400, 3000, found)"
    found = detections(target, plan)
    times = [t for t, _ in found]
    assert [label for _, label in found] == ["yes"] * len(found)
    assert all(b - a > 1500 for a, b in zip(times, times[1:], strict=False))
    assert len(found) == 2  # t=80 (third result) and the first one after 1580 ms


def test_minimum_count_is_required(target):
    # Two results are not enough, even at full score.
    assert detections(target, "d.min_count = 3\nfeed(YES, 0, 80, found)") == []


def test_update_allocates_nothing(target):
    code = SETUP + (
        "import gc\nfound = []\nfeed(YES, 0, 400, found)\nt = 400\nbefore = 0\n"
        "gc.collect()\nbefore = gc.mem_alloc()\n"
        "while t < 40400:\n    d.update(2, YES)\n    t += 40\n"
        "print(gc.mem_alloc() - before)"
    )
    assert int(target.exec(code).strip()) == 0


def test_bad_configuration_is_refused(target):
    result = target.run("from earshot.detect import Detector\nDetector(('a',), 20, threshold=2)")
    assert not result.ok and "ValueError" in result.error and "threshold" in result.error


# Driven with hop counts past 2**31: the detector's tick wraps at 2**29 (TICK_MASK) and its
# counts saturate, so a word gives the same detections after any gap, across the wrap.
WORD = """
from earshot.detect import TICK_MASK
def word(d, gap):
    # After `gap` hops without an update: 0.6 s of silence, a 0.8 s word, 1.6 s of
    # silence (one update per 40 ms). Returns the update indexes that detect.
    hits = []
    k = 0
    for score, n in ((SIL, 15), (YES, 20), (SIL, 40)):
        for _ in range(n):
            if d.update(gap if k == 0 else 2, score) >= 0:
                hits.append(k)
            k += 1
    return hits
"""


def word_hits(target, plan: str) -> object:
    return target.eval("hits", setup=SETUP + WORD + plan)


def test_a_word_is_detected_the_same_after_any_gap_and_across_the_wrap(target):
    reference = word_hits(target, "hits = word(d, 2)")
    assert len(reference) == 1
    # A gap past 2**31 hops (a big int, given once), then the same word.
    assert word_hits(target, "word(d, 2)\nhits = word(d, 2**31 + 7)") == reference
    # The tick about to wrap in the middle of the word.
    assert word_hits(target, "d.now = TICK_MASK - 30\nhits = word(d, 2)") == reference
    # Twenty words, 2**27 hops apart: 2**31.3 hops in all, each word heard alike.
    plan = "hits = [word(d, 2**27) for _ in range(20)]"
    assert word_hits(target, plan) == [reference] * 20


def test_suppression_holds_across_the_wrap(target):
    # "yes" for 4 s: a detection, then one per 1.5 s of suppression; the same updates
    # detect wherever the tick wraps.
    plan = "d.now = TICK_MASK - {}\nhits = [k for k in range(100) if d.update(2, YES) >= 0]\n"
    reference = word_hits(target, plan.format(100_000))
    assert reference == [2, 40, 78]  # t = 80 ms, then every 38 updates (1,520 ms)
    for offset in (1, 40, 100, 160):
        assert word_hits(target, plan.format(offset)) == reference, offset


def test_updates_across_the_wrap_allocate_nothing(target):
    code = SETUP + (
        "import gc\nfrom earshot.detect import TICK_MASK\n"
        "d.now = TICK_MASK - 400\nfound = []\nfeed(YES, 0, 400, found)\nt = 0\nbefore = 0\n"
        "gc.collect()\nbefore = gc.mem_alloc()\n"
        "while t < 800:\n    d.update(2, YES if t % 200 < 120 else SIL)\n    t += 1\n"
        "d.update(2**31, SIL)\n"
        "print(gc.mem_alloc() - before, d.now < TICK_MASK)"
    )
    assert target.exec(code).split() == ["0", "True"]
