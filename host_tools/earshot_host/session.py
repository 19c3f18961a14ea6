"""A listening session with a board's detector, as every target and command sees it.

What `listen` (a whole WAV, read back) and `stream` (a WAV sent, maybe read back by a
watcher) both need lives here, below them: the messages a session collects, the device
command line that starts the detector, and the loop that feeds a board in raw REPL with
protocol lines while reading what it prints (listen_serial).

The detector is started through the device command line: the same argv that
`micropython -m earshot ARGS` takes, run on a board as `from earshot.cli import main;
main([..., '--uart'])`, the audio then coming as protocol lines on its console
(uart_stream).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EarshotError
from .frontend.wav import WavFormatError, read_wav
from .uart_stream import END_LINE, Pacer, audio_lines

Message = dict[str, Any]
OnMessage = Callable[[Message], None]
# (sample rate, samples per hop)
Hop = tuple[int, int]


def _message(line: str) -> dict[str, Any] | None:
    """The protocol message a line holds, or None."""
    try:
        message = json.loads(line) if line.startswith("{") else None
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


@dataclass
class Session:
    """What a listening session printed: protocol messages, and anything else."""

    messages: list[Message] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    error: str = ""

    def of_type(self, kind: str) -> list[Message]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def detections(self) -> list[Message]:
        return self.of_type("detection")

    def take(self, line: str, on_message: OnMessage | None) -> None:
        line = line.strip()
        if not line:
            return
        message = _message(line)
        if message is None and '{"v":1,' in line[1:]:
            # A line cut short (the board ran out of memory while printing it) followed by
            # the message that says so: the message is kept, the cut line too.
            cut = line.rindex('{"v":1,')
            message = _message(line[cut:])
            if message is not None:
                self.other.append(line[:cut])
        if isinstance(message, dict) and message.get("v") == 1:
            self.messages.append(message)
            if on_message:
                on_message(message)
        else:
            self.other.append(line)

    def check(self) -> Session:
        """The session, or EarshotError with the first error it reported."""
        errors = self.of_type("error")
        if errors or self.error.strip():
            raise EarshotError(
                str(errors[0].get("message")) if errors else self.error.strip().splitlines()[-1]
            )
        return self


def model_hop(model: str) -> Hop:
    """(sample rate, samples per hop) of a model spec (model_spec) with a front end."""
    from .model_spec import resolve_model

    frontend = resolve_model(model).metadata.get("frontend")
    if not frontend:
        raise EarshotError(f"model {model!r} has no audio front end")
    rate = int(frontend["sample_rate"])
    return rate, rate * int(frontend["hop_ms"]) // 1000


def read_audio(wav: Path) -> tuple[np.ndarray, int]:
    """(int16 mono samples, sample rate) of a PCM16 WAV."""
    try:
        audio = read_wav(wav)
    except (OSError, WavFormatError) as err:
        raise EarshotError(f"{wav}: {err}") from err
    return audio.samples, audio.sample_rate


def load_audio(wav: Path, rate: int) -> np.ndarray:
    samples, wav_rate = read_audio(wav)
    if wav_rate != rate:
        raise EarshotError(f"{wav} is {wav_rate} Hz; the model needs {rate} Hz")
    return samples


def load_audio_for(model: str | None, wav: Path) -> tuple[np.ndarray, int | None]:
    """Samples of a WAV for a named model (rate checked now), or for the board's active
    model (None: its rate is checked against the board's hello)."""
    if model is None:
        return read_audio(wav)
    return load_audio(wav, model_hop(model)[0]), None


def hello_hop(hello: Message) -> Hop:
    """(sample rate, samples per hop) that a board's hello announces."""
    try:
        rate = int(hello["sample_rate"])
        return rate, rate * int(hello["hop_ms"]) // 1000
    except (KeyError, TypeError, ValueError) as err:
        raise EarshotError(f"the board's hello has no usable sample_rate/hop_ms: {hello}") from err


# ---------------------------------------------------------------- the device command line

# Detector settings of the device command line that take a value, and flags; the host
# passes them through unchanged (detector owns their meaning).
_SOURCES = ("--wav", "--stdin", "--mic", "--uart")


ModelArgs = str | Sequence[str] | None


def model_args(model: ModelArgs) -> list[str]:
    """The device arguments naming a model: a frozen name, explicit arguments (e.g.
    ("--model-file", PATH)), or None for the board's active model."""
    if model is None:
        return []
    return ["--model", model] if isinstance(model, str) else list(model)


def device_argv(
    model: ModelArgs, device_args: Sequence[str] = (), source: Sequence[str] = ("--uart",)
) -> list[str]:
    """The device command line: the model, the detector settings unchanged, the source."""
    for arg in device_args:
        if arg in _SOURCES:
            raise EarshotError(f"{arg}: the host chooses the audio source, not a device option")
    return [*model_args(model), *device_args, *source]


LISTEN_CODE = """
from earshot.cli import main as _main
_main({argv!r})
"""


def listen_code(
    model: ModelArgs, device_args: Sequence[str] = (), stats_ms: int | None = None
) -> str:
    """The program that runs the detector on a board, hearing protocol lines on its console
    (model: a frozen name, device arguments naming it, or None for the active model)."""
    if stats_ms is not None:
        device_args = ["--stats-ms", str(stats_ms), *device_args]
    return LISTEN_CODE.format(argv=device_argv(model, device_args))


# -------------------------------------------------------------- a board in raw REPL


def listen_serial(
    transport: Any,
    model: ModelArgs,
    samples: np.ndarray,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    stats_ms: int | None = None,
    device_args: Sequence[str] = (),
    timeout: float = 600.0,
    lines: Iterable[bytes] | None = None,
    sample_rate: int | None = None,
    expect_hop: Hop | None = None,
    code: str | None = None,
) -> Session:
    """Run the detector on a board in raw REPL (an mpremote SerialTransport) and send it the
    samples as protocol lines (or the given lines, e.g. with noise mixed in); returns what
    it printed. model: a frozen name (None: the board's active model). sample_rate: the
    samples' rate, checked against the board's hello (the stream is ended at once and
    refused if it differs); expect_hop: what the hello must announce. device_args (and
    stats_ms, the same as "--stats-ms N") go to the device command line. `code` replaces
    the listening program (listen_code)."""
    session = Session()
    if stats_ms is not None:
        device_args = ["--stats-ms", str(stats_ms), *device_args]
    transport.exec_raw_no_follow(code if code is not None else listen_code(model, device_args))
    serial = transport.serial
    done = threading.Event()
    # Set at the end of the program's output: from then on the raw REPL would take further
    # lines as the text of a new program (and a small board would run out of memory).
    ended = threading.Event()
    # Audio is sent only once the detector has said hello (it is listening), so nothing is
    # sent to a program that failed to start.
    ready = threading.Event()

    hellos: list[Message] = []

    def on_any(message: Message) -> None:
        if message.get("type") == "hello":
            hellos.append(message)
            ready.set()
        if on_message:
            on_message(message)

    parts: list[bytearray] = [bytearray()]
    lost: list[str] = []

    def reader() -> None:
        # Output until \x04, then the traceback (if any) until the second \x04.
        pending = bytearray()
        while not done.is_set():
            try:
                data = serial.read(serial.in_waiting or 1)
            except OSError as err:  # the port went away (unplugged, emulator stopped)
                lost.append(str(err))
                ended.set()
                ready.set()
                done.set()
                return
            for byte in data:
                if byte == 4:
                    ended.set()
                    ready.set()
                    if len(parts) == 2:
                        done.set()
                        return
                    parts.append(bytearray())
                    continue
                if len(parts) == 1:
                    pending.append(byte)
                    if byte == 10:
                        session.take(pending.decode(errors="replace"), on_any)
                        pending.clear()
                else:
                    parts[1].append(byte)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if not ready.wait(120):
        done.set()
        raise EarshotError("the board did not start listening within 120 s")
    rate, hop = hello_hop(hellos[0]) if hellos else (1, 1)
    if expect_hop is None and isinstance(model, str) and hellos:
        expect_hop = model_hop(model)
    if expect_hop is not None and hellos and (rate, hop) != expect_hop:
        raise EarshotError(f"the board's model hears {rate} Hz in hops of {hop} samples")
    pacer = Pacer() if realtime else None
    audio = audio_lines(samples, hop) if lines is None else lines
    if hellos and sample_rate is not None and sample_rate != rate:
        # Refused before any audio: end the stream so the board returns to its prompt.
        audio = iter((END_LINE,))
        mismatch = f"the audio is {sample_rate} Hz; the board's model needs {rate} Hz"
    else:
        mismatch = ""
    try:
        for seq, line in enumerate(audio):
            if pacer:
                pacer.wait(seq * hop / rate)
            if ended.is_set():
                break
            serial.write(line)
    except OSError as err:
        done.set()
        raise EarshotError(f"the board stopped listening: {err}") from err
    if not done.wait(timeout):
        raise EarshotError(f"the board did not finish within {timeout:g} s")
    thread.join(1)
    if lost:
        raise EarshotError(f"the port closed while the board was listening: {lost[0]}")
    if mismatch:
        raise EarshotError(mismatch)
    if len(parts) == 2:
        session.error = parts[1].decode(errors="replace").strip()
    return session
