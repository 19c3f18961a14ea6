"""The FPU square root of dsp/fixed_math.c, run as compiled for a Cortex-M4F: the harness
tests/host/fpu_sqrt/main.c links the real fixed_math.c (-mfloat-abi=hard, VSQRT path) and
runs bare-metal on QEMU's mps2-an386 with semihosting. es_isqrt_round64 must equal the
rounded floor(sqrt(v)) found by bisection (independent code) at every value where the floor
changes or could be missed (r*r - 1, r*r, r*r + r, r*r + r + 1, r*r + 2r for every 16-bit
r, and the top 256 values of the range), and the correction step must be what makes it
so (the FPU estimate alone is wrong for some of them)."""

import re
import shutil
import subprocess

import pytest

from earshot_host.paths import project_root

ROOT = project_root()
HARNESS = ROOT / "tests" / "host" / "fpu_sqrt"
CFLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-O2",
          "-ffreestanding", "-nostdlib", "-Wall", "-Wextra", "-Werror"]  # fmt: skip


def test_fpu_isqrt_exact_at_every_boundary_on_cortex_m4f(tmp_path):
    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if not gcc or not qemu:
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm (make deps installs both)")
    elf = tmp_path / "sqrt.elf"
    subprocess.run(
        [
            gcc,
            *CFLAGS,
            f"-I{ROOT / 'firmware' / 'cmodules' / 'earshot'}",
            "-T",
            str(HARNESS / "link.ld"),
            str(HARNESS / "main.c"),
            str(ROOT / "firmware" / "cmodules" / "earshot" / "dsp" / "fixed_math.c"),
            "-lgcc",
            "-o",
            str(elf),
        ],  # fmt: skip
        check=True,
    )
    proc = subprocess.run(
        [
            qemu,
            "-M",
            "mps2-an386",
            "-nographic",
            "-semihosting",
            "-kernel",
            str(elf),
            "-monitor",
            "none",
            "-serial",
            "none",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = proc.stdout + proc.stderr  # semihosting writes to QEMU's stderr
    m = re.search(r"checked (\d+) mismatches (\d+) uncorrected_wrong (\d+) built_fpu (\d)", out)
    assert m, out
    checked, mismatches, uncorrected, fpu = (int(g) for g in m.groups())
    assert fpu == 1  # the VSQRT path was compiled
    assert checked == 327_935
    assert mismatches == 0
    assert uncorrected > 0  # without the correction step the estimate misses some floors
