# Audio sent by the host over the console (the UART of a QEMU board or of a board without
# a microphone; standard input on the Unix port), as text lines, protocol version 1:
#
#     a <seq> <crc32 hex> <base64 of one hop of int16 little-endian samples>
#     e                                  (end of stream)
#
# Lines are checked (prefix, fields, length, CRC) in C and decoded straight into the ring;
# a malformed, garbled or oversized line is counted and ignored, a gap in the sequence
# numbers is counted as lost blocks. Ctrl-C is disabled while streaming so that noise on
# the line cannot stop the listener; the host ends the stream with "e".

import _earshot
import micropython


class LineSource:
    def __init__(self, sample_rate, block):
        self.sample_rate = sample_rate
        # Room for the longest valid line ("a", seq, crc, base64) plus slack.
        self.line = bytearray(4 * ((2 * block + 2) // 3) + 32)
        self.expected = 0
        self.malformed = 0
        self.lost_blocks = 0
        micropython.kbd_intr(-1)

    def fill(self, ring):
        line = self.line
        while True:
            n = _earshot.read_line(line)
            if n == -2 or (n == 1 and line[0] == 0x65):  # end of input, or "e"
                return False
            if n < 0:
                self.malformed += 1  # oversized
                continue
            slot = ring.slot_for_write()
            if slot is None:
                return True  # the ring counted the overrun
            seq = _earshot.decode_line(line, n, slot)
            if seq < 0:
                self.malformed += 1
                continue
            if seq > self.expected:
                self.lost_blocks += seq - self.expected
            elif seq < self.expected:
                self.malformed += 1  # a replayed or reordered block
                continue
            self.expected = seq + 1
            ring.commit()
            return True

    def close(self):
        micropython.kbd_intr(3)
