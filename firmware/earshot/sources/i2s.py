# A MEMS microphone (INMP441, SPH0645, ICS-43434 class) through machine.I2S, on boards
# whose pins.csv names MIC_SCK, MIC_WS and MIC_SD (see boards/). The I2S peripheral's
# DMA fills its own buffer in the background; each fill() moves what has arrived into the
# ring, one hop at a time. Such microphones send 24- or 32-bit left-justified samples in
# 32-bit slots: they are read as 32-bit words and scaled to int16 in C-sized steps.
#
# If the pipeline falls behind, the I2S buffer overflows inside the driver; the ring then
# finds no room for the next hop and counts an overrun, so the loss is reported.

import _earshot

# The bus of each port's MEMS microphone wiring (boards/boards.toml: i2s_id).
DEFAULT_BUS = {"rp2": 0, "stm32": 2}


def open_i2s(sample_rate, block, bus=None):
    # The board's microphone: machine.I2S on the pins its pins.csv names.
    import sys

    from machine import I2S, Pin

    if bus is None:
        bus = DEFAULT_BUS.get(sys.platform, 0)
    return I2S(
        bus,
        sck=Pin("MIC_SCK"),
        ws=Pin("MIC_WS"),
        sd=Pin("MIC_SD"),
        mode=I2S.RX,
        bits=32,
        format=I2S.MONO,
        rate=sample_rate,
        ibuf=16 * block,
    )


class I2SSource:
    # i2s: an object with readinto(buf) -> bytes read, and deinit() (default: the board's
    # microphone through machine.I2S; tests pass a stand-in).
    def __init__(self, sample_rate, block, bus=None, shift=14, i2s=None):
        self.sample_rate = sample_rate
        self.block = block
        # Shift from the microphone's 32-bit slot to int16: 24-bit data in the top bits,
        # plus 2 bits of headroom for typical MEMS sensitivity.
        self.shift = shift
        self.words = bytearray(4 * block)
        self.i2s = i2s if i2s is not None else open_i2s(sample_rate, block, bus)

    def fill(self, ring):
        slot = ring.slot_for_write()
        if slot is None:
            # Read and drop the hop so the driver's buffer keeps moving; the ring counted it.
            self.i2s.readinto(self.words)
            return True
        n = self.i2s.readinto(self.words)
        if n != len(self.words):
            return True  # nothing complete yet (non-blocking drivers)
        _earshot.pack_i32_to_i16(slot, self.words, self.shift)
        ring.commit()
        return True

    def close(self):
        self.i2s.deinit()
