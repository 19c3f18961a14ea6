"""The tiered always-on cascade (firmware/earshot/cascade.py) on the device against its host
measurement (earshot_host.wakeword_oracle.run_cascade): with microWakeWord's VAD model or
the energy gate in front of okay_nabu, the same invocations run (replays included) and
every score the wake-word model gives when due is equal, on the Unix port over a speech
stream; bad cascades are refused. The figures (what the cascade saves and misses) are in
docs/WAKE_WORDS.md, from `python -m earshot_host.wakeword_oracle` (run_cascade)."""

from __future__ import annotations

import numpy as np
import pytest
from wakeword_support import manifest, samples

from earshot_host.wakeword_oracle import run_cascade

SCRIPT = """
import earshot, _earshot
from earshot.cascade import Cascade
from earshot.stream import gate_level
_m = earshot.Model.frozen('okay_nabu')
_fe = earshot.Frontend(_m)
_vad = earshot.Model.frozen('vad') if {vad} else None
_c = Cascade(_vad, 3, level=gate_level({dbfs}) if {dbfs} is not None else 0)
_frame = bytearray(_fe.features)
_n = 0
_mv = memoryview({data})
_step = 2 * _fe.hop
_out = []
for i in range(0, len(_mv) - _step + 1, _step):
    hop = _mv[i:i + _step]
    if _fe.process(hop, _frame):
        _earshot.shift_in(_m.input, _frame)
        _n += 1
        awake = _c.frame(_frame, _earshot.mean_square(hop) if _c.level else 0)
        if _n % 3 == 0:
            if awake:
                _c.wake(_m)
                _m.invoke()
                _out.append('{{}}:{{}}'.format(_n - 1, _m.output[0] & 0xFF))
            else:
                _c.skip()
print(' '.join(_out))
print(_c.opened, _c.replayed, _c.vad_inferences)
"""


def device_cascade(target, x, vad: bool, dbfs):
    data = np.asarray(x, "<i2")[: len(x) // 160 * 160].tobytes()
    expr = target.runner.upload("stream.pcm", data)
    code = SCRIPT.format(vad=vad, dbfs=dbfs, data=expr)
    lines = target.runner.run(code, 600).check().splitlines()
    scores = [tuple(int(v) for v in item.split(":")) for item in lines[0].split()]
    opened, replayed, vad_runs = (int(v) for v in lines[1].split())
    return scores, opened, replayed, vad_runs


@pytest.mark.kinds("unix")
@pytest.mark.parametrize(("vad", "dbfs"), [(True, None), (False, -30.0)])
def test_device_cascade_equals_host_measurement(target, vad, dbfs):
    x = samples("voices_quiet")
    host = run_cascade(manifest("okay_nabu"), x, manifest("vad") if vad else None, energy_dbfs=dbfs)
    scores, opened, replayed, vad_runs = device_cascade(target, x, vad, dbfs)
    assert scores == host.scores
    assert opened == host.opened > 1
    assert replayed + len(scores) == host.wake_inferences
    assert vad_runs == host.gate_inferences
    # The gate really closes: fewer invocations than the ungated 648.
    assert len(scores) < len(x) // 480


@pytest.mark.kinds("unix")
def test_bad_cascades_are_refused(target):
    code = """
import earshot
from earshot.cascade import Cascade
for args in ((None, 3), (earshot.Model.frozen('micro_speech'), 3)):
    try:
        Cascade(*args)
    except ValueError as err:
        print('refused:', err)
"""
    out = target.runner.run(code).check()
    assert "refused: a cascade needs a VAD model or an energy level" in out
    assert "refused: the VAD model takes 1960 values, not 3 frames of 40" in out


def run_device_cli(target, *args):
    import json
    import subprocess

    from earshot_host.paths import project_root

    firmware = target.board.firmware_path(project_root())
    proc = subprocess.run(
        [str(firmware), "-m", "earshot", *args], capture_output=True, text=True, check=False
    )
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    return proc.returncode, lines


@pytest.mark.kinds("unix")
def test_vad_option_of_the_device_command_line(target, tmp_path):
    from earshot_host.frontend.wav import write_wav

    wav = tmp_path / "s.wav"
    write_wav(wav, samples("voices_quiet")[: 16000 * 5], 16000)
    base = ["--model", "micro_speech", "--wav", str(wav), "--stats-ms", "0"]
    stats = {}
    for level in ("-80", "-30", "0"):
        status, lines = run_device_cli(target, *base, "--vad", level)
        assert status == 0, lines
        (end,) = [m for m in lines if m["type"] == "end"]
        stats[level] = [m for m in lines if m["type"] == "stats"][-1]
    # -80 dBFS: always open (the noise bed is at -55); 0 dBFS: never open; -30: between.
    assert stats["-80"]["gated"] == 0
    assert stats["0"]["inferences"] == 0 and stats["0"]["gated"] > 0
    assert 0 < stats["-30"]["gated"] < stats["0"]["gated"]
    # A VAD model whose input is not the wake model's stride of frames is refused.
    status, lines = run_device_cli(target, *base, "--vad", "vad")
    assert status == 1
    assert "the VAD model takes 120 values, not 2 frames of 40" in lines[-1]["message"]
