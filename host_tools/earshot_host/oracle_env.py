"""The heavy oracle environment: a virtual environment with TensorFlow under build/.

`make test` never needs TensorFlow. The scripts that *generate* committed goldens from
TensorFlow (frontend_goldens, the wake-word oracle's feature files, conformance_gen) run
inside a separate virtual environment, build/oracle-venv/, that this module creates from
the package index (tensorflow-cpu and ai-edge-litert, pinned below) and runs them in:

    .venv/bin/python -m earshot_host.oracle_env frontend_goldens [ARGS...]
    .venv/bin/python -m earshot_host.oracle_env --create          # only create it

The first run takes a few minutes (a ≈ 250 MB wheel); later runs reuse the venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

from .errors import EarshotError
from .paths import project_root

# The versions the committed goldens were made with (their PROVENANCE.md files say so).
PACKAGES = ("tensorflow-cpu==2.21.0", "ai-edge-litert==2.3.0", "numpy")


def venv_dir() -> Path:
    return project_root() / "build" / "oracle-venv"


def python() -> Path:
    return venv_dir() / "bin" / "python"


def ensure() -> Path:
    """Create build/oracle-venv with PACKAGES if it is not there yet; its python."""
    marker = venv_dir() / ".installed"
    wanted = "\n".join(PACKAGES) + "\n"
    if marker.exists() and marker.read_text() == wanted:
        return python()
    if not python().exists():
        venv.EnvBuilder(with_pip=True).create(venv_dir())
    cmd = [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PACKAGES]
    if subprocess.run(cmd, check=False).returncode != 0:
        raise EarshotError(f"cannot install {', '.join(PACKAGES)} into {venv_dir()}")
    marker.write_text(wanted)
    return python()


def run(module: str, args: Sequence[str]) -> int:
    """python -m earshot_host.<module> ARGS in the oracle venv (host_tools on its path)."""
    py = ensure()
    env_path = str(project_root() / "host_tools")
    cmd = [str(py), "-m", f"earshot_host.{module}", *args]
    env = {**os.environ, "PYTHONPATH": env_path}
    return subprocess.run(cmd, env=env, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args == ["--create"]:
            print(ensure())
            return 0
        if not args or args[0].startswith("-"):
            print(
                "usage: python -m earshot_host.oracle_env MODULE [ARGS...] | --create",
                file=sys.stderr,
            )
            return 2
        return run(args[0], args[1:])
    except EarshotError as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
