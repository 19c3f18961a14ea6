# Raw PCM on standard input: signed 16-bit little-endian mono at the model's rate, e.g.
#   arecord -f S16_LE -r 16000 -c 1 | micropython -m earshot --model micro_speech --stdin

import sys


class StdinSource:
    def __init__(self, sample_rate, stream=None):
        self.sample_rate = sample_rate
        self.stream = stream or sys.stdin.buffer

    def fill(self, ring):
        slot = ring.slot_for_write()
        if slot is None:
            return True
        got = 0
        size = len(slot)
        while got < size:
            n = self.stream.readinto(slot if got == 0 else slot[got:])
            if not n:
                break
            got += n
        if got == 0:
            return False
        for i in range(got, size):  # the last, partial block
            slot[i] = 0
        ring.commit()
        return True

    def close(self):
        pass
