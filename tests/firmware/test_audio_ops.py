"""The C sample-block helpers of the pipeline, on every target."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def test_mean_square(target):
    code = "import _earshot, array\nprint(_earshot.mean_square(array.array('h', [3, -4] * 50)))"
    assert target.exec(code).strip() == "12"


def test_mean_square_of_full_scale_does_not_overflow(target):
    code = "import _earshot, array\nprint(_earshot.mean_square(array.array('h', [-32768] * 1024)))"
    assert int(target.exec(code)) == 32768 * 32768


def test_mix_stereo_averages_channels(target):
    code = (
        "import _earshot, array\n"
        "s = array.array('h', [100, -50, 7, 9, -32768, -32768])\n"
        "d = array.array('h', [0, 0, 0])\n"
        "_earshot.mix_stereo(d, s)\nprint(list(d))"
    )
    assert target.eval("list(d)", setup=code) == [25, 8, -32768]


def test_shift_in_slides_the_window(target):
    setup = "import _earshot\nw = bytearray(b'abcdef')\n_earshot.shift_in(w, b'XY')"
    assert target.eval("bytes(w)", setup=setup) == b"cdefXY"


def test_pack_i32_to_i16_scales_and_saturates(target):
    words = struct.pack("<4i", 1 << 20, -(1 << 20), 0x7FFFFFFF, -0x80000000)
    setup = (
        f"import _earshot, array\nd = array.array('h', [0] * 4)\n"
        f"_earshot.pack_i32_to_i16(d, memoryview({words!r})[0:16], 14)"
    )
    assert target.eval("list(d)", setup=setup) == [64, -64, 32767, -32768]


def line(seq: int, samples: np.ndarray) -> bytes:
    data = samples.astype("<i2").tobytes()
    return b"a %d %08x %s" % (seq, zlib.crc32(data), base64.b64encode(data))


def test_decode_line_checks_everything(target):
    samples = np.array([1, -2, 300, -32768], dtype=np.int16)
    good = line(7, samples)
    bad_crc = good.replace(b" ", b" ", 2)[:-2] + (b"AA" if not good.endswith(b"AA") else b"AB")
    cases = {
        "good": good,
        "bad_crc": bad_crc,
        "short": line(8, samples[:3]),
        "prefix": b"b" + good[1:],
        "seq": good.replace(b"a 7", b"a x"),
        "big_seq": good.replace(b"a 7", b"a 9999999999"),
        "crc_digits": good.replace(b" ", b" 0", 2).replace(b" 0", b" ", 1),
        "garbage": b"\xff\xfe\x00 a",
    }
    setup = "import _earshot, array\nd = array.array('h', [0] * 4)\nr = {}\n"
    for name, text in cases.items():
        setup += f"b = {text!r}\nr[{name!r}] = _earshot.decode_line(b, len(b), d)\n"
        if name == "good":
            setup += "r['samples'] = list(d)\n"
    result = target.eval("r", setup=setup)
    assert result["good"] == 7
    assert result["samples"] == samples.tolist()
    for name in cases:
        if name != "good":
            assert result[name] == -1, name
