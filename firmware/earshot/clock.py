# Counts that never overflow: audio time in ms, hops, inferences and gated inferences,
# for any uptime.
#
# MicroPython's small ints hold 31 bits on 32-bit ports: a plain counter of milliseconds
# becomes a heap-allocated big int after 2**30 ms (12.4 days), and every increment after
# that allocates. Each count here is kept as hi * 10**9 + lo with both parts small ints,
# so counting never allocates, and protocol.put() prints a count digit-exact without
# building the big int (hi, then lo zero-padded to nine digits). The counts of a pipeline
# are one array('i') (a small board feels every object): the pair at MS is the audio time
# (starting at the t0 pair), then HOPS, INFERENCES, GATED.

from array import array

GIGA = 1000000000
MS = 0
HOPS = 2
INFERENCES = 4
GATED = 6
_T0 = 8
NAMES = ("ms", "hops", "inferences", "gated")


def counts(t0_ms=0):
    # The counts of a pipeline whose audio starts at t0_ms, all reset.
    if t0_ms < 0:
        raise ValueError("audio time starts at 0 ms or later, not {}".format(t0_ms))
    c = array("i", bytes(40))
    c[_T0] = t0_ms // GIGA
    c[_T0 + 1] = t0_ms % GIGA
    reset(c)
    return c


def reset(c):
    c[MS] = c[_T0]
    c[MS + 1] = c[_T0 + 1]
    for i in range(HOPS, _T0):
        c[i] = 0


def add(c, at, n):
    # Count n more (at most 10**9) at the pair at.
    lo = c[at + 1] + n
    if lo >= GIGA:
        lo -= GIGA
        c[at] += 1
    c[at + 1] = lo


def join(hi, lo):
    # The int of (hi, lo): a big int past 2**30 (allocates: for tests and tools).
    return hi * GIGA + lo if hi else lo


def total(c, at):
    return join(c[at], c[at + 1])
