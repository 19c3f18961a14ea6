"""A device-side stand-in for tests of the pipeline without a real model's scores:
`Scripted` keeps micro_speech's front end and window (its frozen model's buffer and
input) but its output is whatever `score(n)` gives for inference n (1, 2, ...); a
subclass may give other labels, output quantization and metadata. `Silence` is a source
of hops of digital silence that notes gc.mem_alloc() when the hops left reach one of
`marks`. (Small on purpose: qemu_m0's heap holds the snippet beside the pipeline.)"""

SNIPPET = """
import gc, earshot
from earshot.stream import Listener
real = earshot.Model.frozen('micro_speech')
class Scripted:
    name = 'scripted'
    source = 'test'
    input_persists = True
    labels = ('silence', 'unknown', 'yes', 'no')  # micro_speech's (literals: its metadata
    output_quant = (0.00390625, -128)            # stays unparsed until the Listener's)
    def __init__(self):
        self._buffer = real._buffer
        self.input = real.input
        self.output = bytearray(len(self.labels))
        self.n = 0
    @property
    def metadata(self):
        return real.metadata
    def invoke(self):
        self.n += 1
        self.output[:] = self.score(self.n)
    def release_metadata(self):
        real.release_metadata()
class Silence:
    sample_rate = 16000
    def __init__(self, hops, marks=()):
        self.hops = hops
        self.mark_at = marks
        self.marks = []
    def fill(self, ring):
        if self.hops in self.mark_at:
            gc.collect()
            self.marks.append(gc.mem_alloc())
        if not self.hops:
            return False
        self.hops -= 1
        ring.slot_for_write()
        ring.commit()
        return True
    def close(self):
        pass
"""
