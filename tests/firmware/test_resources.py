"""Resource limits with the heap full (see also test_engine.py: a 64 MB arena is refused
with the bytes needed and free; test_stream.py: overruns are counted): the refusal is a
ValueError with its reason, never a bare MemoryError, and the target keeps working."""

from __future__ import annotations

import re

import pytest

MODEL = "micro_speech"

# Fill the heap (4 KB blocks, then smaller ones down to 512 bytes: what is left is a few
# holes, enough for small objects), free `spare` of the 4 KB blocks, then build.
CODE = """
import gc, earshot
from earshot.stream import Listener
{before}
n = e = None  # every global exists before the heap is filled (a dict resize allocates)
gc.collect()
ballast = []
size = 4096
while size >= 512:
    try:
        ballast.append(bytearray(size))
    except MemoryError:
        size //= 2
n = {spare}
while n:
    ballast.pop(0)
    n -= 1
try:
    {build}
    print('OK')
except ValueError as e:
    print('ERR', e)
ballast = None
gc.collect()
print('after', earshot.Model.frozen({model!r}).arena_size)
"""


def run(target, before: str, spare: int, build: str) -> list[str]:
    code = CODE.format(before=before, spare=spare, build=build, model=MODEL)
    return [line for line in target.exec(code).splitlines() if line.strip()]


def test_an_arena_larger_than_the_free_heap_is_refused_with_both_sizes(target):
    # micro_speech: a 5,984-byte arena (it fits every heap, qemu_m0's included), more
    # than the 4 KB freed.
    lines = run(
        target,
        f"m = earshot.Model.frozen({MODEL!r})\nm = None",
        1,
        f"earshot.Model.frozen({MODEL!r})",
    )
    match = re.fullmatch(r"ERR model needs (\d+) bytes of arena, heap has (\d+) free", lines[0])
    assert match, lines
    assert int(match.group(2)) < int(match.group(1))
    assert lines[1].startswith("after "), lines  # memory is back: the model loads


@pytest.mark.parametrize("spare", [1])
def test_a_pipeline_in_a_full_heap_is_refused_with_the_bytes_free(target, spare):
    # Regression: the refusal read the model's name (parsing its JSON metadata) after the
    # MemoryError, and a full heap raised a second MemoryError instead of the reason.
    lines = run(target, f"m = earshot.Model.frozen({MODEL!r})", spare, "Listener(m)")
    pattern = rf"ERR the ({MODEL}|model's) pipeline does not fit: \d+ bytes of heap free after its"
    assert re.fullmatch(pattern + " model", lines[0]), lines
    assert lines[1].startswith("after "), lines
