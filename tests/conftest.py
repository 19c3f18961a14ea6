"""pytest harness: run the same MicroPython code on the Unix port and the QEMU boards.

A test that takes the `target` fixture runs once per selected target (`--targets
unix,qemu_m3`; default: every target in boards/boards.toml that runs on this machine).
Mark it `@pytest.mark.kinds("qemu")` to keep it to targets of some kinds. QEMU boards are
booted once per session and soft-reset before every snippet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earshot_host.boards import Board, emulated_board_names, load_boards
from earshot_host.natmod import natmod_arch
from earshot_host.paths import project_root
from earshot_host.runner import RunResult
from earshot_host.targets import Target as DeviceTarget
from earshot_host.targets import open_target

ROOT = project_root()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--targets",
        default=",".join(emulated_board_names(ROOT)),
        help="comma-separated targets to run device tests on (default: all emulated)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kinds(*kinds): run only on targets of these kinds")
    config.addinivalue_line(
        "markers", "stock: run on the stock MicroPython targets (a natmod column) instead"
    )


def selected_targets(config: pytest.Config) -> list[str]:
    names = [n.strip() for n in config.getoption("--targets").split(",") if n.strip()]
    known = load_boards(ROOT)
    for name in names:
        if name not in known or not known[name].emulated:
            raise pytest.UsageError(f"--targets: {name!r} is not an emulated target")
    return names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Run each target's tests together (host-only tests first), so that one QEMU board is
    # alive at a time: an idle board still spins in its UART loop and takes a core.
    order = {name: i for i, name in enumerate(load_boards(ROOT))}

    def target_of(item: pytest.Item) -> int:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("target") if callspec else None
        # An empty parametrization (no selected target of the test's kinds) gives NOTSET.
        return order.get(name, -1) if isinstance(name, str) else -1

    items.sort(key=target_of)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    boards = load_boards(ROOT)
    names = selected_targets(metafunc.config)
    marker = metafunc.definition.get_closest_marker("kinds")
    if marker is not None:
        names = [n for n in names if boards[n].kind in marker.args]
    # Stock MicroPython rows run the tests marked stock (tests/stock/), and only those.
    stock = metafunc.definition.get_closest_marker("stock") is not None
    names = [n for n in names if bool(natmod_arch(boards[n])) == stock]
    metafunc.parametrize("target", names, indirect=True)


class Target:
    """A target as tests see it: run code, get output, fail with the target's traceback."""

    def __init__(self, board: Board, runner: DeviceTarget) -> None:
        self.board = board
        self.name = board.name
        # The host tools' target (earshot_host.targets): runs code, and serves the
        # infer/features/listen APIs that take a target.
        self.runner = runner

    def run(self, code: str, timeout: float = 120.0) -> RunResult:
        """Run code; the result carries output and traceback, pass or fail."""
        return self.runner.run(code, timeout=timeout)

    def exec(self, code: str, timeout: float = 120.0) -> str:
        """Run code that must succeed; a failure fails the test with the target's traceback."""
        result = self.run(code, timeout=timeout)
        if not result.ok:
            pytest.fail(f"code failed on {self.name}:\n{result.error}", pytrace=False)
        return result.output.replace("\r\n", "\n")

    # The always-on pipeline (model + front end + window + ring) must run on boards with at
    # least this much heap; a smaller board may refuse it, with a clear error.
    PIPELINE_MIN_HEAP = 48 * 1024

    def pipeline_refused(self, error: str) -> bool:
        """True when error is this board's justified refusal to build a pipeline (or to
        allocate its model's arena)."""
        if "pipeline does not fit" not in error and "bytes of arena, heap has" not in error:
            return False
        assert self.board.heap_bytes and self.board.heap_bytes < self.PIPELINE_MIN_HEAP, error
        return True

    def session_refused(self, session: Any) -> bool:
        """pipeline_refused over what a listening session reported: its error messages
        and its traceback."""
        texts = [m.get("message", "") for m in session.of_type("error")] + [session.error]
        return any(self.pipeline_refused(text) for text in texts if text)

    def exec_file(self, path: Path, timeout: float = 120.0) -> str:
        return self.exec(path.read_text(), timeout=timeout)

    def eval(self, expression: str, setup: str = "", timeout: float = 120.0) -> object:
        """The value of a Python literal printed by the target (repr round trip)."""
        import ast

        out = self.exec(f"{setup}\nprint(repr({expression}))", timeout=timeout)
        return ast.literal_eval(out.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def runners() -> Iterator[dict[str, DeviceTarget]]:
    opened: dict[str, DeviceTarget] = {}
    yield opened
    for runner in opened.values():
        runner.close()


@pytest.fixture
def target(request: pytest.FixtureRequest, runners: dict[str, DeviceTarget]) -> Target:
    name = request.param
    board = load_boards(ROOT)[name]
    for other in [n for n in runners if n != name]:
        runners.pop(other).close()  # tests are grouped by target: the other is done
    if name not in runners:
        runners[name] = open_target(board, ROOT)
    return Target(board, runners[name])


@pytest.fixture(scope="session")
def selected(request: pytest.FixtureRequest) -> list[Board]:
    """The targets --targets selects, as board rows, in the order given."""
    boards = load_boards(ROOT)
    return [boards[name] for name in selected_targets(request.config)]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
