# The audio ring: fixed-size int16 blocks (one hop each) in one preallocated bytearray.
#
# A source writes a block into the slot that slot_for_write() gives and commits it; the
# pipeline reads the oldest committed block and releases it. A producer that finds the
# ring full (the pipeline fell behind a live source) drops its block and the ring counts
# an overrun: audio is never lost silently. The memoryviews of the slots are made once,
# so neither side allocates.


class AudioRing:
    def __init__(self, block, slots=4):
        if block <= 0 or slots < 2:
            raise ValueError("audio ring needs a positive block and at least 2 slots")
        self.block = block
        self.slots = slots
        # A buffer per slot, not one for all: a small fragmented heap has room for a
        # hop's bytes more often than for the whole ring's.
        self.views = [memoryview(bytearray(2 * block)) for _ in range(slots)]
        self.head = 0  # next slot to write
        self.tail = 0  # next slot to read
        self.count = 0
        self.overruns = 0
        self.dropped_samples = 0

    def slot_for_write(self):
        # The free slot to fill, or None (and an overrun) when the ring is full.
        if self.count == self.slots:
            self.overruns += 1
            self.dropped_samples += self.block
            return None
        return self.views[self.head]

    def commit(self):
        self.head = (self.head + 1) % self.slots
        self.count += 1

    def slot_for_read(self):
        return self.views[self.tail] if self.count else None

    def release(self):
        self.tail = (self.tail + 1) % self.slots
        self.count -= 1
