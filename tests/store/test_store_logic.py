"""The model store's slot logic (firmware/earshot/store.py) on the Unix port, over a
simulated rom_ioctl: two bytearrays that behave like NOR flash (erase to 0xff, programming
only clears bits, writes in units of 16 bytes), and can lose power at any write."""

from __future__ import annotations

import struct
import zlib

import pytest

from earshot_host.paths import project_root

ROOT = project_root()

pytestmark = pytest.mark.kinds("unix")

SIM = """
import earshot, earshot.store as st, earshot_models, _earshot

class PowerCut(Exception):
    pass

class Flash:
    # rom_ioctl over two bytearrays; power is lost before write number cut_at.
    def __init__(self, size, align=16):
        self.mem = [bytearray(size), bytearray(size)]
        self.align = align
        self.cut_at = None
        self.writes = 0

    def __call__(self, cmd, id=0, a=0, b=None):
        if cmd == 1:
            return 2
        m = self.mem[id]
        if cmd == 2:
            return memoryview(m)
        if cmd == 3:
            n = -(-a // self.align) * self.align
            m[0:n] = b"\\xff" * n
            return self.align
        if cmd == 4:
            if len(b) % self.align or a % self.align:
                return -22
            if self.cut_at is not None and self.writes >= self.cut_at:
                raise PowerCut()
            self.writes += 1
            for i in range(len(b)):
                m[a + i] &= b[i]
            return 0
        return 0

def blob(name):
    return __import__("earshot_models." + name, None, None, ("MODEL",)).MODEL

def flash(ioctl, name, chunk=4096, crc=None, cut_at=None):
    data = blob(name)
    w = st.Store(ioctl).writer(len(data))
    for off in range(0, len(data), chunk):
        w.write(off, data[off:off + chunk])
    return w.commit(_earshot.crc32(data) if crc is None else crc)

def state(ioctl):
    slot, source = st.selection(ioctl)
    return (slot.label, slot.seq, slot.name) if slot else None, source

F = Flash(64 * 1024)
"""


def test_empty_slots_give_the_frozen_default_and_say_why(target):
    out = target.eval("state(F)", setup=SIM)
    assert out == (
        None,
        "frozen default micro_speech: no valid model in slots (slot A: empty, slot B: empty)",
    )
    model = target.eval("(m.name, m.source)", setup=SIM + "m = st.active_model(F)")
    assert model == ("micro_speech", out[1])


def test_no_store_gives_the_frozen_default(target):
    assert target.eval("state(None)", setup=SIM) == (
        None,
        "frozen default micro_speech: this board has no model slots",
    )
    # The Unix port has no model slots: earshot.info() says what it runs.
    assert target.eval("earshot.info()['model']", setup=SIM).startswith(
        "frozen default micro_speech: "
    )


def test_flashed_models_alternate_slots_with_rising_sequence(target):
    setup = SIM + "r = []\nfor n in ('micro_speech', 'mlperf_kws', 'micro_speech'):\n"
    setup += "    r.append((flash(F, n), state(F)[0]))\n"
    assert target.eval("r", setup=setup) == [
        (1, ("A", 1, "micro_speech")),
        (2, ("B", 2, "mlperf_kws")),
        (3, ("A", 3, "micro_speech")),
    ]


def test_model_runs_in_place_from_the_slot_bit_exact_with_the_frozen_copy(target):
    code = SIM + (
        "flash(F, 'mlperf_kws')\n"
        "m = st.active_model(F)\n"
        "f = earshot.Model.frozen('mlperf_kws')\n"
        "for mm in (m, f):\n"
        "    for i in range(len(mm.input)):\n"
        "        mm.input[i] = (i * 7) % 256 - 128\n"
        "    mm.invoke()\n"
        "v = m._buffer\n"
        "print(repr((m.source, type(v).__name__, len(v), bytes(m.output) == bytes(f.output))))"
    )
    out = target.exec(code).strip().splitlines()[-1]
    size = len((ROOT / "models" / "mlperf_kws" / "mlperf_kws.esm").read_bytes())
    assert eval(out) == ("slot A seq 1 (mlperf_kws)", "memoryview", size, True)


@pytest.mark.parametrize("cut_at", [0, 1, 12, 24])
def test_power_cut_during_an_update_keeps_the_previous_model(target, cut_at):
    # mlperf_kws is 51,065 bytes: 25 chunks of 2 KiB (writes 0-24), then the header.
    code = SIM + (
        "flash(F, 'micro_speech')\n"
        f"F.writes = 0\nF.cut_at = {cut_at}\n"
        "try:\n"
        "    flash(F, 'mlperf_kws', chunk=2048)\n"
        "    cut = False\n"
        "except PowerCut:\n"
        "    cut = True\n"
        "F.cut_at = None\n"
        "print(repr((cut, state(F))))"
    )
    cut, (slot, source) = eval(target.exec(code).strip().splitlines()[-1])
    assert cut
    assert slot == ("A", 1, "micro_speech")
    assert source == "slot A seq 1 (micro_speech)"


def test_power_cut_just_before_the_header_write_keeps_the_previous_model(target):
    code = SIM + (
        "flash(F, 'micro_speech')\n"
        "F.writes = 0\nF.cut_at = 25\n"  # 25 payload chunks of 2 KiB, the header is write 25
        "try:\n"
        "    flash(F, 'mlperf_kws', chunk=2048)\n"
        "except PowerCut:\n"
        "    pass\n"
        "F.cut_at = None\n"
        "print(repr((F.writes, state(F))))\n"
        "print(repr(flash(F, 'mlperf_kws')))\n"
        "print(repr(state(F)))"
    )
    lines = target.exec(code).strip().splitlines()
    writes, (slot, source) = eval(lines[-3])
    assert writes == 25
    assert slot == ("A", 1, "micro_speech")
    # The next update goes to the same (inactive) slot and succeeds.
    assert eval(lines[-2]) == 2
    assert eval(lines[-1])[0] == ("B", 2, "mlperf_kws")


def test_wrong_crc_is_refused_and_the_old_model_stays(target):
    code = SIM + (
        "flash(F, 'micro_speech')\n"
        "try:\n"
        "    flash(F, 'mlperf_kws', crc=12345)\n"
        "    print('committed')\n"
        "except ValueError as e:\n"
        "    print(e)\n"
        "print(repr(state(F)))"
    )
    lines = target.exec(code).strip().splitlines()
    assert lines[-2].startswith("CRC mismatch: slot holds ")
    assert eval(lines[-1])[0] == ("A", 1, "micro_speech")


def test_payload_that_is_not_a_model_is_never_committed(target):
    code = SIM + (
        "data = bytes(range(256)) * 8\n"
        "w = st.Store(F).writer(len(data))\n"
        "w.write(0, data)\n"
        "try:\n"
        "    w.commit(_earshot.crc32(data))\n"
        "    print('committed')\n"
        "except ValueError as e:\n"
        "    print('refused', e)\n"
        "print(repr(state(F)))"
    )
    lines = target.exec(code).strip().splitlines()
    assert lines[-2].startswith("refused ")
    assert eval(lines[-1])[0] is None


def test_corrupt_newest_slot_falls_back_to_the_older_one_then_the_default(target):
    code = SIM + (
        "flash(F, 'micro_speech')\nflash(F, 'mlperf_kws')\n"
        "F.mem[1][64 + 1000] ^= 0x10\n"  # a bit flipped in slot B's payload
        "print(repr(state(F)))\n"
        "F.mem[0][8] ^= 0x01\n"  # and slot A's header (its sequence field)
        "print(repr(state(F)))\n"
        "m = st.active_model(F)\n"
        "print(repr((m.name, m.source)))"
    )
    lines = target.exec(code).strip().splitlines()
    assert eval(lines[0]) == (("A", 1, "micro_speech"), "slot A seq 1 (micro_speech)")
    reason = "no valid model in slots (slot A: bad header CRC, slot B: bad CRC)"
    assert eval(lines[1]) == (None, f"frozen default micro_speech: {reason}")
    assert eval(lines[2]) == ("micro_speech", f"frozen default micro_speech: {reason}")


def test_bad_requests_are_refused_with_reasons(target):
    code = SIM + (
        "S = st.Store(F)\n"
        "for f in (lambda: S.writer(S.capacity + 1), lambda: S.writer(0),\n"
        "          lambda: S.writer(100).write(16, b'x' * 16),\n"
        "          lambda: S.writer(100).write(0, b'x' * 200),\n"
        "          lambda: S.writer(100).write(0, b'x' * 40),\n"
        "          lambda: S.writer(32).commit(0),\n"
        "          lambda: st.Store(lambda *a: 1)):\n"
        "    try:\n"
        "        f()\n"
        "        print('accepted')\n"
        "    except (ValueError, OSError) as e:\n"
        "        print(e)"
    )
    lines = target.exec(code).strip().splitlines()
    assert lines == [
        f"model is {64 * 1024 - 63} bytes, a slot holds {64 * 1024 - 64}",
        "empty model",
        "chunk at 16, expected 0",
        "chunk ends at 200, the model is 100 bytes",
        "only the last chunk may be shorter than 16",
        "0 of 32 bytes written",
        "this board has no model slots (1 ROM segments, 2 needed)",
    ]


def test_header_layout_matches_the_documented_format(target):
    # The header as docs/MODEL_STORE.md describes it, built here with the standard library.
    code = SIM + (
        "flash(F, 'micro_speech')\n"
        "print(bytes(F.mem[0][0:64]).hex())\n"
        "print(_earshot.crc32(blob('micro_speech')))"
    )
    lines = target.exec(code).strip().splitlines()
    header = bytes.fromhex(lines[-2])
    crc = int(lines[-1])
    head = struct.pack("<4sHHIII", b"ESMS", 1, 64, 1, 24328, crc)
    head += b"micro_speech".ljust(32, b"\0") + b"\xff" * 8
    assert header == head + struct.pack("<I", zlib.crc32(head))


def test_detector_without_model_runs_the_active_model_and_says_which(root):
    # `micropython -m earshot` with no --model: the active model (on the Unix port, which
    # has no model slots, the frozen default), named in the hello line.
    import json
    import subprocess

    from earshot_host.boards import get_board

    firmware = get_board("unix").firmware_path(root)
    wav = root / "tests" / "data" / "audio" / "silence_1000ms.wav"
    proc = subprocess.run(
        [str(firmware), "-m", "earshot", "--wav", str(wav)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    hello = json.loads(proc.stdout.splitlines()[0])
    assert hello["type"] == "hello" and hello["model"] == "micro_speech"
    assert hello["source"] == "frozen default micro_speech: this board has no model slots"
    both = subprocess.run(
        [str(firmware), "-m", "earshot", "--model", "a", "--model-file", "b", "--stdin"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert both.returncode == 2 and "not both" in both.stderr


# A board whose vfs.rom_ioctl has one ROM partition of block-device methods (rp2 in
# MicroPython 1.25): earshot.store.SplitRom makes it two slots. The device below keeps
# NOR rules and refuses writes that are not whole 256-byte pages within one block.
SPLIT = """
class Partition:
    def __init__(self, blocks):
        self.mem = bytearray(b"\\xff" * (4096 * blocks))
        self.blocks = blocks
        self.erased = []
        self.bad = []
    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return 4096
        if op == 6:
            self.erased.append(arg)
            self.mem[arg * 4096:(arg + 1) * 4096] = b"\\xff" * 4096
            return 0
    def writeblocks(self, block, buf, offset):
        if offset % 256 or len(buf) % 256 or offset + len(buf) > 4096:
            self.bad.append((block, offset, len(buf)))
            return
        at = block * 4096 + offset
        for i in range(len(buf)):
            self.mem[at + i] &= buf[i]

P = Partition(32)
R = st.SplitRom(P, memoryview(P.mem))
"""


def test_one_rom_partition_becomes_two_slots_written_in_whole_pages(target):
    code = (
        SIM
        + SPLIT
        + (
            "print(repr((R(1), len(R(2, 0)), len(R(2, 1)))))\n"
            "print(repr([(flash(R, n), state(R)[0]) for n in ('micro_speech', 'mlperf_kws')]))\n"
            "print(repr((sorted(set(P.erased)), P.bad)))\n"
            "m = st.active_model(R)\n"
            "print(repr((m.source, bytes(m._buffer) == bytes(blob('mlperf_kws')))))"
        )
    )
    lines = target.exec(code).strip().splitlines()
    assert eval(lines[-4]) == (2, 16 * 4096, 16 * 4096)
    assert eval(lines[-3]) == [(1, ("A", 1, "micro_speech")), (2, ("B", 2, "mlperf_kws"))]
    erased, bad = eval(lines[-2])
    # micro_speech (24,328 B + header) erased blocks 0-5 of slot A; mlperf_kws 16-28 of B.
    assert erased == [*range(0, 6), *range(16, 29)] and bad == []
    assert eval(lines[-1]) == ("slot B seq 2 (mlperf_kws)", True)


def test_split_partition_refuses_what_does_not_fit(target):
    code = (
        SIM
        + SPLIT
        + (
            "print(repr((R(3, 2, 10), R(4, 0, 8, b'x' * 16), R(4, 0, 65536 - 16, b'x' * 32))))\n"
            "S = st.Store(R)\n"
            "try:\n"
            "    S.writer(S.capacity + 1)\n"
            "except ValueError as e:\n"
            "    print(e)"
        )
    )
    lines = target.exec(code).strip().splitlines()
    assert eval(lines[-2]) == (-22, -22, -22)
    assert lines[-1] == f"model is {65536 - 63} bytes, a slot holds {65536 - 64}"
