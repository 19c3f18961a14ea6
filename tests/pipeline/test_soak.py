"""A short soak of the always-on pipeline (earshot_host.soak; `make soak` runs an hour): a
few minutes of generated audio with planted words, streamed to the Unix firmware. The heap
in use after every minute equals the heap after the first (and is no more at the end), no
block is lost, and exactly the planted words are detected, each within 0.5 s."""

from __future__ import annotations

import pytest

from earshot_host.soak import judge, minute_scene, soak_unix

MINUTES = 4


def test_minutes_differ_and_plant_words_at_known_times():
    a, events_a = minute_scene(0)
    b, events_b = minute_scene(1)
    assert len(a) == len(b) == 60 * 16_000
    assert (a != b).any()
    assert [e.label for e in events_a] == ["yes", "no", "yes"]
    assert [e.label for e in events_b] == ["no", "yes", "yes"]
    assert all(60_000 <= e.start_ms < e.end_ms <= 120_000 for e in events_b)


@pytest.mark.kinds("unix")
def test_short_soak_keeps_the_heap_flat_and_hears_every_word(target):
    session, audio, seconds = soak_unix(target.board, MINUTES)
    figures = judge(session, audio, seconds)
    assert figures["problems"] == []
    assert figures["planted"] == 3 * MINUTES == figures["detected"]
    heap = session.of_type("heap")
    assert len(heap) == MINUTES + 1  # every minute, and at the end
    assert {h["alloc"] for h in heap[:-1]} == {heap[0]["alloc"]}
    assert heap[-1]["alloc"] <= heap[0]["alloc"]
    assert figures["overruns"] == 0 and figures["malformed"] == 0
