"""Build the native fuzz harness (tests/fuzz/model_fuzz_main.c with the engine's C files,
ASan + UBSan): `python -m earshot_host.fuzz.native OUTPUT`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..errors import EarshotError
from ..paths import project_root

FLAGS = [
    "-std=gnu99",
    "-O1",
    "-g",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
]


def sources(root: Path) -> list[Path]:
    engine = root / "firmware" / "cmodules" / "earshot"
    return [
        root / "tests" / "fuzz" / "model_fuzz_main.c",
        engine / "model_check.c",
        engine / "model_run.c",
        *sorted((engine / "kernels").rglob("*.c")),  # reference and optimized
    ]


def build_native(output: Path, root: Path | None = None, reference: bool = False) -> Path:
    """Compile the harness to output (if any source is newer); returns its path."""
    root = root or project_root()
    files = sources(root)
    headers = list((root / "firmware" / "cmodules" / "earshot").rglob("*.h"))
    if output.is_file():
        built = output.stat().st_mtime
        if all(p.stat().st_mtime < built for p in files + headers):
            return output
    output.parent.mkdir(parents=True, exist_ok=True)
    defines = ["-DEARSHOT_KERNELS_REFERENCE=1"] if reference else []
    include = "-I" + str(root / "firmware" / "cmodules" / "earshot")
    args = ["cc", *FLAGS, *defines, include, *map(str, files), "-o", str(output), "-lm"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise EarshotError(f"cannot build the native fuzz harness:\n{proc.stderr.strip()}")
    return output


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m earshot_host.fuzz.native OUTPUT", file=sys.stderr)
        sys.exit(2)
    try:
        print(f"earshot: built {build_native(Path(sys.argv[1]).resolve())}")
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        sys.exit(1)
