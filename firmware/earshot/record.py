# Recording: the audio the detector hears, sent back to the host as protocol lines, so
# users can build test and training sets from the board's own microphone (`earshot
# record`). A Recorder is the Listener's tap: it sees every hop's samples before the
# front end does.
#
#   {"v":1,"type":"audio","t_ms":<start of the hop>,"crc":<CRC-32>,"pcm":"<base64>"}
#
# pcm is the hop's int16 little-endian samples, crc their CRC-32 (the host checks it);
# consecutive lines are contiguous audio (t_ms steps by hop_ms). Continuous recording
# sends every hop; on-detection recording keeps the last `before_ms` in a preallocated
# ring and sends it, then the next `after_ms` as it comes, around each detection (a
# detection during the "after" part extends it). Sending allocates (base64 text): it is a
# diagnostic mode, not the always-on path.

import binascii
import sys

import _earshot

from .clock import MS
from .protocol import put

BEFORE_MS = 1500
AFTER_MS = 500
PIECE = 96


def send(samples, c, at):
    # One audio line: samples heard from the audio time of the count at `at` of c on. The
    # base64 text goes out in pieces of PIECE bytes (a multiple of 3: the pieces' text
    # joins into the whole's), so a small heap never needs a block for all of it.
    print('{"v":1,"type":"audio","t_ms":', end="")
    put(c, at)
    print(',"crc":', _earshot.crc32(samples), ',"pcm":"', sep="", end="")
    view = memoryview(samples)
    for i in range(0, len(view), PIECE):
        sys.stdout.write(binascii.b2a_base64(view[i : i + PIECE], newline=False))
    print('"}')


class Recorder:
    def __init__(self, block, hop_ms, on_detection=False, before_ms=BEFORE_MS,
                 after_ms=AFTER_MS):  # fmt: skip
        self.block = block
        self.hop_ms = hop_ms
        self.on_detection = on_detection
        self.after = after_ms // hop_ms  # hops sent after a detection
        self.left = 0  # hops still to send after the last detection
        if on_detection:
            self.slots = max(1, before_ms // hop_ms)
            try:
                self.pre = bytearray(2 * block * self.slots)
            except MemoryError:
                raise ValueError("recording {} ms before each detection needs {} bytes".format(
                    before_ms, 2 * block * self.slots)) from None  # fmt: skip
            self.views = [memoryview(self.pre)[2 * block * i : 2 * block * (i + 1)]
                          for i in range(self.slots)]  # fmt: skip
            # The start time of each kept hop: pairs of a count (earshot.clock).
            from array import array

            self.times = array("i", bytes(8 * self.slots))
            self.head = 0
            self.count = 0

    def hop(self, samples, counts):
        # samples: the hop heard from the audio time of counts (earshot.clock) on.
        if not self.on_detection:
            send(samples, counts, MS)
        elif self.left:
            send(samples, counts, MS)
            self.left -= 1
        else:
            i = self.head
            _earshot.copy(self.views[i], samples)
            self.times[2 * i] = counts[MS]
            self.times[2 * i + 1] = counts[MS + 1]
            self.head = (i + 1) % self.slots
            if self.count < self.slots:
                self.count += 1

    def detection(self, counts):
        if not self.on_detection:
            return
        for k in range(self.count):
            i = (self.head - self.count + k) % self.slots
            send(self.views[i], self.times, 2 * i)
        self.count = 0
        self.left = self.after
