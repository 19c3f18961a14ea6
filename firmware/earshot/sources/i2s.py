# A MEMS microphone (INMP441, SPH0645, ICS-43434 class) through machine.I2S, on boards
# whose pins.csv names MIC_SCK, MIC_WS and MIC_SD (see boards/). The I2S peripheral's
# DMA fills its own buffer in the background; each fill() moves what has arrived into the
# ring, one hop at a time.
#
# Samples. Such microphones send 24-bit (SPH0645: 18-bit) two's-complement samples,
# left-justified in a 32-bit slot, most significant bit first; the bits below the data are
# zero or noise. machine.I2S(bits=32) gives each slot as a signed 32-bit word, so the
# sample's top 16 bits are word >> 16, rounded towards minus infinity: the microphone's
# full scale is int16's full scale. gain_bits adds 6 dB per bit (shift 16 - gain_bits,
# saturating at the int16 limits) for quiet microphones.
#
# Nothing is lost unseen. A read that returns part of a hop (a non-blocking driver with
# less ready) is kept and the hop completed by the next reads. A hop the ring has no
# room for (the pipeline fell behind) is dropped and counted by the ring, and the driver's
# buffer keeps moving. At close() a partly read hop is counted in dropped_samples.
#
# Soft reset. close() stops the peripheral (the device command line calls it in a
# `finally`, so Ctrl-C stops it too). The rp2 port stops a running I2S at soft reset
# itself; v1.25's stm32 port does not, and nucleo_f411re_i2s stops it in its board hook
# (boards/nucleo_f411re_i2s/mpconfigboard.h).

import _earshot

# The bus of each port's MEMS microphone wiring (boards/boards.toml: i2s_id).
DEFAULT_BUS = {"rp2": 0, "stm32": 2}
SLOT_BYTES = 4
FULL_SCALE_SHIFT = 16


def gpio_number(pin):
    # The GPIO number of an rp2 Pin, from its repr: "Pin(GPIO16, mode=...)".
    text = repr(pin)
    start = text.find("GPIO")
    if start < 0:
        raise ValueError("cannot tell the GPIO number of " + text)
    end = start + 4
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    if end == start + 4:
        raise ValueError("cannot tell the GPIO number of " + text)
    return int(text[start + 4 : end])


def check_pins(platform, sck, ws):
    # The rp2 port makes SCK and WS PIO side-set pins, which must be consecutive.
    if platform == "rp2":
        s, w = gpio_number(sck), gpio_number(ws)
        if w != s + 1:
            raise ValueError(
                "I2S microphone on rp2: WS must be the GPIO after SCK (SCK is GP%d, so WS "
                "must be GP%d, not GP%d); fix MIC_SCK/MIC_WS in the board's pins.csv"
                % (s, s + 1, w)
            )


def open_i2s(sample_rate, block, bus=None, machine=None, platform=None):
    # The board's microphone: machine.I2S on the pins its pins.csv names.
    if machine is None:
        import machine
    if platform is None:
        import sys

        platform = sys.platform
    if bus is None:
        bus = DEFAULT_BUS.get(platform, 0)
    Pin = machine.Pin
    sck, ws, sd = Pin("MIC_SCK"), Pin("MIC_WS"), Pin("MIC_SD")
    check_pins(platform, sck, ws)
    return machine.I2S(
        bus,
        sck=sck,
        ws=ws,
        sd=sd,
        mode=machine.I2S.RX,
        bits=32,
        format=machine.I2S.MONO,
        rate=sample_rate,
        ibuf=16 * block,
    )


class I2SSource:
    # i2s: an object with readinto(buf) -> bytes read, and deinit() (default: the board's
    # microphone through machine.I2S; tests pass a stand-in).
    def __init__(self, sample_rate, block, bus=None, gain_bits=0, i2s=None):
        if not 0 <= gain_bits <= FULL_SCALE_SHIFT:
            raise ValueError("I2S gain_bits must be 0..16, not %r" % (gain_bits,))
        self.sample_rate = sample_rate
        self.block = block
        self.shift = FULL_SCALE_SHIFT - gain_bits
        self.words = bytearray(SLOT_BYTES * block)
        self.view = memoryview(self.words)
        self.filled = 0  # bytes of the current hop read so far
        self.dropped_samples = 0  # of a partly read hop at close()
        self.i2s = i2s if i2s is not None else open_i2s(sample_rate, block, bus)

    def fill(self, ring):
        filled = self.filled
        # A partly read hop (non-blocking drivers only) is completed through a view of
        # its rest: the one allocation, on that rare path.
        buf = self.words if filled == 0 else self.view[filled:]
        filled += self.i2s.readinto(buf) or 0
        if filled < len(self.words):
            self.filled = filled
            return True
        self.filled = 0
        slot = ring.slot_for_write()
        if slot is None:
            return True  # no room: the ring counted the hop as dropped
        _earshot.pack_i32_to_i16(slot, self.words, self.shift)
        ring.commit()
        return True

    def close(self):
        # Stops the peripheral; safe to call twice.
        i2s, self.i2s = self.i2s, None
        self.dropped_samples += self.filled // SLOT_BYTES
        self.filled = 0
        if i2s is not None:
            i2s.deinit()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
