"""Real-board firmware builds (`make board BOARD=...`): check what the port needs, build
with the port's own build, then check that the image fits the board's firmware region.

Every external piece can be a local path, so a machine without network builds from local
trees: MICROPY_DIR= a full upstream MicroPython tree (with the submodules the board's
row of boards/boards.toml `requires`), and for rp2 an installed picotool named by
`picotool_DIR` (the folder holding picotoolConfig.cmake) or `picotool_ROOT` (its install
prefix). Where the network exists, the pinned tag (and picotool) may be fetched instead;
the pico-sdk is never left to clone picotool itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .boards import Board, get_board, missing_vendor_dirs
from .errors import EarshotError
from .paths import project_root

PICOTOOL_CONFIG = "picotoolConfig.cmake"
# Where an install prefix keeps picotool's CMake package (flat install first, as the
# pico-sdk's own picotool build makes it).
PICOTOOL_PREFIX_DIRS = (
    "picotool",
    "lib/cmake/picotool",
    "lib64/cmake/picotool",
    "share/picotool",
    ".",
)
OVERFLOW = re.compile(r"region [`']?(\w+)'? overflowed by (\d+) bytes")


@dataclass(frozen=True)
class ImageSize:
    """The image a board flashes into its firmware region, against that region's size."""

    path: Path
    size: int
    limit: int

    @property
    def fits(self) -> bool:
        return self.size <= self.limit

    def describe(self, board: str) -> str:
        if self.fits:
            return (
                f"{board}: {self.path.name} is {self.size:,} bytes of firmware_max_bytes "
                f"{self.limit:,} ({self.limit - self.size:,} free)"
            )
        return (
            f"{board}: {self.path.name} is {self.size:,} bytes and does not fit "
            f"firmware_max_bytes {self.limit:,} ({self.size - self.limit:,} bytes over): "
            f"freeze fewer models in boards/{board}/manifest.py"
        )


def picotool_package_dir(env: Mapping[str, str], fallback: Path | None = None) -> Path | None:
    """The folder holding picotoolConfig.cmake: from picotool_DIR, else picotool_ROOT, else
    `fallback` (a picotool earshot built before) if it holds one; None when none is given.
    A variable that names a folder without picotool is an error naming the variable."""
    if env.get("picotool_DIR"):
        folder = Path(env["picotool_DIR"]).expanduser()
        if not (folder / PICOTOOL_CONFIG).is_file():
            raise EarshotError(
                f"picotool_DIR={folder} holds no {PICOTOOL_CONFIG}: name the folder of an "
                "installed picotool's CMake package (or set picotool_ROOT to its install prefix)"
            )
        return folder.resolve()
    if env.get("picotool_ROOT"):
        root = Path(env["picotool_ROOT"]).expanduser()
        for rel in PICOTOOL_PREFIX_DIRS:
            if (root / rel / PICOTOOL_CONFIG).is_file():
                return (root / rel).resolve()
        raise EarshotError(
            f"picotool_ROOT={root} holds no picotool ({PICOTOOL_CONFIG} in none of "
            f"{', '.join(PICOTOOL_PREFIX_DIRS)}): give the prefix picotool was installed to"
        )
    if fallback is not None and (fallback / PICOTOOL_CONFIG).is_file():
        return fallback.resolve()
    return None


def overflow_from_log(lines: Sequence[str]) -> tuple[str, int] | None:
    """(memory region, bytes over) when the linker said a region overflowed."""
    for line in lines:
        match = OVERFLOW.search(line)
        if match:
            return match.group(1), int(match.group(2))
    return None


def image_size(board: Board, build_dir: Path) -> ImageSize:
    """Size of build/<board>/firmware.bin against the board's firmware_max_bytes."""
    if not board.firmware_max_bytes:
        raise EarshotError(f"boards.toml: {board.name} has no firmware_max_bytes")
    path = build_dir / "firmware.bin"
    if not path.is_file():
        raise EarshotError(f"{board.name}: the build wrote no {path}")
    return ImageSize(path, path.stat().st_size, board.firmware_max_bytes)


def _run(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    proc = subprocess.run(list(cmd), env=dict(env) if env else None, check=False)
    if proc.returncode != 0:
        raise EarshotError(f"{Path(cmd[0]).name} failed (status {proc.returncode})")


def _run_port_build(cmd: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """Run the port's build, passing its output through; the last lines for diagnosis."""
    tail: deque[str] = deque(maxlen=400)
    with subprocess.Popen(
        list(cmd), env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            tail.append(line)
        status = proc.wait()
    if status != 0:
        raise _BuildFailed(list(tail))
    return list(tail)


class _BuildFailed(Exception):
    def __init__(self, tail: list[str]) -> None:
        super().__init__("port build failed")
        self.tail = tail


@dataclass
class BoardBuild:
    """One `make board` run."""

    board: Board
    micropy_dir: Path
    build_dir: Path
    make: Sequence[str]
    fetch_micropython: bool = False
    ulab_dir: Path | None = None
    env: Mapping[str, str] | None = None  # over os.environ, for the port's build

    @property
    def root(self) -> Path:
        return project_root()

    def _deps_script(self, name: str) -> str:
        return str(self.root / "firmware" / "deps" / name)

    def prepare_micropython(self) -> None:
        if self.fetch_micropython:
            submodules = [r for r in self.board.requires if r.startswith("lib/")]
            _run(["bash", self._deps_script("micropython.sh"), str(self.micropy_dir), *submodules])
        missing = missing_vendor_dirs(self.board, self.micropy_dir)
        if missing:
            raise EarshotError(
                f"{self.board.name} ({self.board.port} port) needs {', '.join(missing)} in "
                f"{self.micropy_dir}: give MICROPY_DIR= a full upstream MicroPython tree "
                f"(`git submodule update --init {' '.join(missing)}`)"
            )

    def picotool(self, env: Mapping[str, str]) -> Path:
        built = self.root / "build" / "deps" / "picotool"
        found = picotool_package_dir(env, built / "picotool")
        if found:
            return found
        sdk = self.micropy_dir / "lib" / "pico-sdk"
        proc = subprocess.run(
            ["bash", self._deps_script("picotool.sh"), str(built), str(sdk)], check=False
        )
        found = picotool_package_dir({}, built / "picotool")
        if proc.returncode != 0 or not found:
            raise EarshotError(
                f"{self.board.name} needs picotool and none is installed: set picotool_DIR "
                f"to the folder holding {PICOTOOL_CONFIG} or picotool_ROOT to its install "
                "prefix (build it from raspberrypi/picotool with -DPICOTOOL_NO_LIBUSB=1); "
                "it could not be fetched"
            )
        return found

    def port_env_and_args(self) -> tuple[dict[str, str], list[str], str]:
        """Environment, make arguments and a key of what the build was configured with."""
        env = {**os.environ, **(self.env or {})}
        args = [
            "-C", str(self.micropy_dir / "ports" / self.board.port),
            f"BOARD_DIR={self.root / 'boards' / self.board.name}",
            f"BUILD={self.build_dir}",
        ]  # fmt: skip
        modules = self.build_dir / "usercmodules"
        key = f"micropython={self.micropy_dir} ulab={self.ulab_dir or ''}"
        if self.board.kind == "rp2":
            picotool = self.picotool(env)
            cmake_args = [
                f"-Dpicotool_DIR={picotool}",
                # Belt and braces: nothing in the configure step may fetch from the network.
                "-DFETCHCONTENT_FULLY_DISCONNECTED=ON",
            ]
            env["CMAKE_ARGS"] = " ".join([env.get("CMAKE_ARGS", ""), *cmake_args]).strip()
            env.pop("PICOTOOL_FORCE_FETCH_FROM_GIT", None)
            args.append(f"USER_C_MODULES={modules / 'micropython.cmake'}")
            key += f" picotool={picotool} cmake_args={env['CMAKE_ARGS']}"
        else:
            args.append(f"USER_C_MODULES={modules}")
        return env, args, key

    def run(self) -> ImageSize:
        board = self.board
        if board.emulated:
            raise EarshotError(f"{board.name} is built with `make unix` / `make qemu`")
        if not board.firmware_max_bytes:
            raise EarshotError(f"boards.toml: {board.name} has no firmware_max_bytes")
        self.prepare_micropython()
        if board.build_packages:
            _run(
                ["bash", self._deps_script("apt-packages.sh")],
                {**os.environ, "APT_PACKAGES": ",".join(board.build_packages)},
            )
        env, args, key = self.port_env_and_args()
        cmodule_files = sorted((self.root / "firmware" / "cmodules").glob("*/micropython.*"))
        _run(
            ["bash", self._deps_script("build-dir.sh"), str(self.build_dir),
             str(self.root / "boards" / board.name), str(self.root / "firmware" / "config"),
             *map(str, cmodule_files)],
            {**os.environ, "EARSHOT_BUILD_KEY": key},
        )  # fmt: skip
        _run(
            ["bash", self._deps_script("usercmodules.sh"), str(self.build_dir / "usercmodules"),
             str(self.root / "firmware" / "cmodules" / "earshot")],
            {**os.environ, "ULAB": str(self.ulab_dir or "")},
        )  # fmt: skip
        (self.build_dir / "firmware.bin").unlink(missing_ok=True)
        try:
            _run_port_build([*self.make, *args], env)
        except _BuildFailed as failed:
            overflow = overflow_from_log(failed.tail)
            if overflow:
                region, over = overflow
                raise EarshotError(
                    f"{board.name}: the firmware does not fit: the linker's {region} region "
                    f"overflowed by {over:,} bytes (firmware_max_bytes {board.firmware_max_bytes:,}"
                    f"): freeze fewer models in boards/{board.name}/manifest.py"
                ) from None
            raise EarshotError(f"{board.name}: the {board.port} port's build failed") from None
        if board.kind == "stm32":
            # The image of the code region (FLASH_TEXT); firmware0.bin holds the vectors.
            shutil.copyfile(self.build_dir / "firmware1.bin", self.build_dir / "firmware.bin")
        size = image_size(board, self.build_dir)
        if not size.fits:
            raise EarshotError(size.describe(board.name))
        return size


def main(argv: Sequence[str] | None = None) -> int:
    """python -m earshot_host.board_build BOARD --micropython DIR --build DIR [--fetch]
    [--ulab DIR] -- MAKE_COMMAND...  (the Makefile's `board` recipe)"""
    import argparse

    args = list(sys.argv[1:] if argv is None else argv)
    make = args[args.index("--") + 1 :] if "--" in args else []
    args = args[: args.index("--")] if "--" in args else args
    parser = argparse.ArgumentParser(prog="earshot_host.board_build")
    parser.add_argument("board")
    parser.add_argument("--micropython", type=Path, required=True)
    parser.add_argument("--build", type=Path, required=True)
    parser.add_argument("--fetch", action="store_true", help="fetch the pinned tree if needed")
    parser.add_argument("--ulab", type=Path)
    opts = parser.parse_args(args)
    try:
        if not make:
            raise EarshotError("no make command after `--`")
        board = get_board(opts.board)
        build = BoardBuild(
            board, opts.micropython.resolve(), opts.build.resolve(), make, opts.fetch, opts.ulab
        )
        size = build.run()
    except EarshotError as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1
    print(f"earshot: built {board.name}: {size.describe(board.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
