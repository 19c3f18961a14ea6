"""Targets built with ulab (`make test-ulab`): the Unix port in build/unix-ulab/ and one QEMU
board in build/<board>-ulab/ (ULAB=1 builds). The tests here take the `ulab_target`
fixture; they run when `make test-ulab` names the targets (EARSHOT_ULAB_TARGETS) and skip,
saying how to run them, otherwise (CI has no ulab tree)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from earshot_host.boards import get_board
from earshot_host.paths import project_root
from earshot_host.runner.qemu import QemuRunner
from earshot_host.runner.result import RunResult
from earshot_host.runner.unix import UnixRunner

ROOT = project_root()
HOW = "make test-ulab ULAB_DIR=/path/to/micropython-ulab (docs/ULAB.md)"


def ulab_targets() -> list[str]:
    names = os.environ.get("EARSHOT_ULAB_TARGETS", "")
    return [n.strip() for n in names.split(",") if n.strip()]


def ulab_firmware(name: str) -> Path:
    board = get_board(name, ROOT)
    built = Path(board.firmware)  # build/<target>/<file>
    return ROOT / "build" / f"{built.parts[1]}-ulab" / built.parts[2]


class UlabTarget:
    """A target with ulab: run code, get its output, fail with the target's traceback."""

    def __init__(self, name: str, runner: UnixRunner | QemuRunner) -> None:
        self.name = name
        self.board = runner.board
        self.runner = runner

    def run(self, code: str, timeout: float = 120.0) -> RunResult:
        return self.runner.run(code, timeout=timeout)

    def exec(self, code: str, timeout: float = 120.0) -> str:
        result = self.run(code, timeout=timeout)
        if not result.ok:
            pytest.fail(f"code failed on {self.name} (ulab):\n{result.error}", pytrace=False)
        return result.output.replace("\r\n", "\n")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ulab_target" in metafunc.fixturenames:
        metafunc.parametrize("ulab_target", ulab_targets() or ["(none)"], indirect=True)


@pytest.fixture(scope="session")
def ulab_runners() -> Iterator[dict[str, UnixRunner | QemuRunner]]:
    opened: dict[str, UnixRunner | QemuRunner] = {}
    yield opened
    for runner in opened.values():
        runner.close()


@pytest.fixture
def ulab_target(request: pytest.FixtureRequest, ulab_runners) -> UlabTarget:
    name = request.param
    if name == "(none)":
        pytest.skip(f"the ulab tests run on firmware built with ulab: {HOW}")
    firmware = ulab_firmware(name)
    if not firmware.is_file():
        pytest.skip(f"no ulab build of {name} at {firmware}: {HOW}")
    if name not in ulab_runners:
        board = get_board(name, ROOT)
        runner = UnixRunner if board.kind == "unix" else QemuRunner
        ulab_runners[name] = runner(board, firmware)
    return UlabTarget(name, ulab_runners[name])
