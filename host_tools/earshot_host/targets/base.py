"""The one interface the commands use to reach a target: class Target.

A Target runs code on the device (through its runner), puts a model where the device can
keep it, and offers the jobs of the commands (infer, features, listen, flash-model,
status) on top of that. Subclasses differ only in what their device can do (targets.unix:
a process per run that reads files; targets.serial: a board in raw REPL), never in what a
command asks; open_target (targets/__init__.py) chooses the class from boards.toml.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import numpy as np

from ..boards import Board
from ..errors import EarshotError
from ..features import ModelFrontend, device_frames, model_frontend
from ..flash_model import BoardModel, Checkpoint, FlashResult, Tamper
from ..infer import PlacedModel, infer
from ..model_spec import ModelSource
from ..runner import Progress, Runner, RunResult
from ..session import Hop, OnMessage, Session, read_audio


@dataclass(frozen=True)
class Listening:
    """What a listening session is asked: the model (None: the board's active model), the
    audio (samples of a WAV at its rate, the hop the model needs, or protocol lines), the
    device arguments, and how to report."""

    model: ModelSource | None
    device_args: Sequence[str] = ()
    wav: Path | None = None
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    rate: int | None = None
    hop: Hop | None = None
    lines: Iterable[bytes] | None = None
    on_message: OnMessage | None = None
    realtime: bool = False


@dataclass(frozen=True)
class DeviceInfo:
    """What a target's firmware holds: frozen models, model slots, the active slot."""

    frozen: tuple[str, ...]
    slots: bool
    active_crc: int | None  # CRC-32 of the model in the active slot (None: no valid one)
    active_slot: str | None


PROBE_CODE = """
try:
    from earshot_models import NAMES as _n
except ImportError:  # firmware with no frozen models (stock MicroPython + natmod)
    _n = ()
try:
    import earshot.store as _s
    _st = _s.Store(_s.board_ioctl())
    _a = _st.active()[0]
except (ImportError, OSError):
    _st = _a = None
print(repr((tuple(_n), _st is not None,
            _a.crc if _a else None, _a.label if _a else None)))
"""


def frozen_expressions(name: str) -> tuple[str, str]:
    """(bytes, Model) device expressions of a frozen model (the bytes: flash, no arena)."""
    return (
        f"__import__('earshot_models.{name}', None, None, ('MODEL',)).MODEL",
        f"earshot.Model.frozen({name!r})",
    )


class Target:
    """A target the host tools drive: a runner plus what its device can do."""

    def __init__(self, name: str, runner: Runner, board: Board | None = None) -> None:
        self.name = name
        self.runner = runner
        self.board = board
        self._info: DeviceInfo | None = None

    # ----------------------------------------------------------------- running code
    @property
    def keeps_state(self) -> bool:
        return self.runner.keeps_state

    @property
    def chunk(self) -> int:
        return self.runner.chunk

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        """Run code on the target; soft_reset=False keeps the globals of the previous run
        where the target can."""
        return self.runner.run(code, timeout=timeout, soft_reset=soft_reset)

    def upload(self, name: str, data: bytes, progress: Progress | None = None) -> str:
        """Put data on the target for later runs; the device expression that reads it."""
        return self.runner.upload(name, data, progress)

    def info(self, refresh: bool = False) -> DeviceInfo:
        """What the firmware holds (asked once, after a soft reset)."""
        if self._info is None or refresh:
            out = self.run(PROBE_CODE).check().strip().splitlines()
            try:
                frozen, slots, crc, label = ast.literal_eval(out[-1])
            except (IndexError, ValueError, SyntaxError) as err:
                raise EarshotError(f"{self.name}: unexpected answer: {out!r}") from err
            self._info = DeviceInfo(tuple(frozen), bool(slots), crc, label)
        return self._info

    # ------------------------------------------------------------------- models
    def put_model(self, source: ModelSource, progress: Progress | None = None) -> PlacedModel:
        """Put the model where this target keeps models (frozen, a flash slot, a file, the
        heap) and leave the device in a fresh session; how the device reaches it."""
        raise NotImplementedError

    def flash_model(
        self,
        source: ModelSource,
        progress: Progress | None = None,
        tamper: Tamper | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> FlashResult:
        """Make the model the board's active model, in a model slot of its flash."""
        raise EarshotError(f"{self.name} has no model slots (see docs/MODEL_STORE.md)")

    def model_status(self) -> BoardModel:
        """The model the board runs when none is named."""
        raise EarshotError(f"{self.name} has no model slots (see docs/MODEL_STORE.md)")

    # ------------------------------------------------------------------- jobs
    def infer(
        self,
        source: ModelSource,
        batch: np.ndarray,
        progress: Progress | None = None,
        model_progress: Progress | None = None,
        timeout: float = 300.0,
    ) -> np.ndarray:
        """The model's outputs for every row of the batch, in order, on one instance."""
        return infer(self, source, batch, progress, timeout, model_progress)

    def features(
        self,
        fe: ModelFrontend,
        samples: np.ndarray,
        gain: float | None = None,
        progress: Progress | None = None,
        raw: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The front end's frames of the samples, computed on the target."""
        return device_frames(self, fe, samples, gain, progress, raw=raw)

    def listen(
        self,
        model: ModelSource | None,
        wav: Path,
        device_args: Sequence[str] = (),
        on_message: OnMessage | None = None,
        realtime: bool = False,
    ) -> Session:
        """The detector hearing a WAV (model None: the board's active model); device_args
        (detector settings, --t0-ms ...) go to the device command line unchanged."""
        samples, rate = read_audio(wav)
        hop = listen_hop(model, rate, wav)
        return self.session(
            Listening(model, device_args, wav, samples, rate, hop, None, on_message, realtime)
        )

    def listen_lines(
        self, model: ModelSource | None, lines: Iterable[bytes], device_args: Sequence[str] = ()
    ) -> Session:
        """The detector hearing the given protocol lines (e.g. a stream with damage in it)."""
        return self.session(Listening(model, device_args, lines=lines))

    def session(self, request: Listening) -> Session:
        """Run a listening session on the device."""
        raise NotImplementedError

    def model_args(self, model: ModelSource | None) -> tuple[str, ...]:
        """The device arguments that name the model, once it is on the device."""
        if model is None:
            return ()
        placed = self.put_model(model)
        if placed.device_args is None:
            raise EarshotError(
                f"{self.name} has no model slots and {model.name} is not frozen into its "
                "firmware: the detector can only run a frozen model there"
            )
        return placed.device_args

    def serial_port(self) -> str:
        """The device's serial port (booting an emulated board if need be)."""
        raise EarshotError(f"{self.name} has no serial port: it runs here as a process")

    # ------------------------------------------------------------------- lifetime
    def close(self) -> None:
        self.runner.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def listen_hop(model: ModelSource | None, rate: int, wav: Path) -> Hop | None:
    """(sample rate, hop) of the model's front end, checked against the WAV's rate (None
    for the board's active model: the board's hello says, and the rate is checked then)."""
    if model is None:
        return None
    fe = model_frontend(model)
    if rate != fe.sample_rate:
        raise EarshotError(f"{wav} is {rate} Hz; the model needs {fe.sample_rate} Hz")
    return fe.sample_rate, fe.hop
