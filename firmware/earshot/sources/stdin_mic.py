# The Unix port's stand-in for an I2S microphone (`micropython -m earshot --mic` where
# machine.I2S does not exist): 32-bit little-endian I2S slots on standard input, read by
# the same I2SSource a board uses, e.g. from a sound card in its 32-bit format:
#
#     arecord -f S32_LE -r 16000 -c 1 | micropython -m earshot --mic
#
# The stream ending ends the source (a real microphone never does).

import sys

from .i2s import I2SSource


class StdinI2S:
    # What I2SSource needs of machine.I2S: readinto(buf) -> bytes read, deinit().
    def __init__(self, stream=None):
        self.stream = stream or sys.stdin.buffer
        self.ended = False

    def readinto(self, buf):
        got = 0
        view = memoryview(buf)
        while got < len(buf):
            n = self.stream.readinto(view[got:])
            if not n:
                self.ended = True
                break
            got += n
        return got

    def deinit(self):
        pass


class StdinMicSource:
    def __init__(self, sample_rate, block, gain_bits=0, stream=None):
        self.i2s = StdinI2S(stream)
        self.source = I2SSource(sample_rate, block, gain_bits=gain_bits, i2s=self.i2s)
        self.sample_rate = sample_rate

    def fill(self, ring):
        if self.i2s.ended:
            return False
        return self.source.fill(ring)

    def close(self):
        self.source.close()
