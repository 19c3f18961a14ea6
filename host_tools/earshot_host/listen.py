"""Listen on a target: play a WAV to the firmware's detector and collect what it prints.

On the Unix port the firmware reads the WAV itself (`micropython -m earshot --wav`). A
board (QEMU, or any serial port) runs the detector from the raw REPL and hears the audio
as protocol lines sent over its console (uart_stream); its JSON lines come back the same
way.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from mpremote.transport import TransportError

from .boards import Board
from .catalog import load_catalog
from .errors import EarshotError
from .frontend.wav import WavFormatError, read_wav
from .paths import project_root
from .runner.qemu import QemuRunner
from .uart_stream import Pacer, audio_lines

Message = dict[str, Any]
OnMessage = Callable[[Message], None]


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
        try:
            message = json.loads(line) if line.startswith("{") else None
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("v") == 1:
            self.messages.append(message)
            if on_message:
                on_message(message)
        else:
            self.other.append(line)


def model_hop(model: str) -> tuple[int, int]:
    """(sample rate, samples per hop) of a model of models/ with a front end."""
    catalog = load_catalog()
    if model not in catalog:
        raise EarshotError(f"model {model!r} is not one of models/ ({', '.join(sorted(catalog))})")
    frontend = catalog[model].sections.get("frontend")
    if not frontend:
        raise EarshotError(f"model {model!r} has no audio front end")
    rate = int(frontend["sample_rate"])
    return rate, rate * int(frontend["hop_ms"]) // 1000


def load_audio(wav: Path, rate: int) -> np.ndarray:
    try:
        audio = read_wav(wav)
    except (OSError, WavFormatError) as err:
        raise EarshotError(f"{wav}: {err}") from err
    if audio.sample_rate != rate:
        raise EarshotError(f"{wav} is {audio.sample_rate} Hz; the model needs {rate} Hz")
    return audio.samples


def listen_unix(
    board: Board,
    model: str,
    wav: Path,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    extra_args: tuple[str, ...] = (),
) -> Session:
    """Run the Unix firmware's detector on a WAV file."""
    model_hop(model)
    firmware = board.firmware_path(project_root())
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make unix`)")
    args = [str(firmware), "-m", "earshot", "--model", model, "--wav", str(wav), *extra_args]
    if realtime:
        args.append("--realtime")
    session = Session()
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            session.take(line, on_message)
        session.error = proc.stderr.read()
    return session


def listen_unix_stream(
    board: Board, model: str, lines: Iterable[bytes], stats_ms: int = 10_000
) -> Session:
    """The Unix firmware's detector hearing protocol lines on standard input, as a board
    hears them on its UART."""
    model_hop(model)
    firmware = board.firmware_path(project_root())
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make unix`)")
    code = LISTEN_CODE.format(model=model, stats_ms=stats_ms, options="")
    proc = subprocess.run(
        [str(firmware), "-c", code], input=b"".join(lines), capture_output=True, check=False
    )
    session = Session()
    for line in proc.stdout.decode(errors="replace").splitlines():
        session.take(line, None)
    session.error = proc.stderr.decode(errors="replace")
    return session


LISTEN_CODE = """
import earshot
from earshot.stream import Listener
from earshot.sources.uart import LineSource
_l = Listener(earshot.Model.frozen({model!r}), stats_ms={stats_ms}{options})
_s = LineSource(_l.frontend.sample_rate, _l.frontend.hop)
try:
    _l.run(_s)
finally:
    _s.close()
"""


def listen_serial(
    transport: Any,
    model: str,
    samples: np.ndarray,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    stats_ms: int = 10_000,
    options: str = "",
    timeout: float = 600.0,
    lines: Iterable[bytes] | None = None,
    code: str | None = None,
) -> Session:
    """Run the detector on a board in raw REPL (an mpremote SerialTransport) and send it the
    samples as protocol lines (or the given lines, e.g. with noise mixed in); returns what
    it printed. `code` replaces the listening program (LISTEN_CODE)."""
    rate, hop = model_hop(model)
    session = Session()
    if code is None:
        code = LISTEN_CODE.format(model=model, stats_ms=stats_ms, options=options)
    transport.exec_raw_no_follow(code)
    serial = transport.serial
    done = threading.Event()
    # Set at the end of the program's output: from then on the raw REPL would take further
    # lines as the text of a new program (and a small board would run out of memory).
    ended = threading.Event()
    # Audio is sent only once the detector has said hello (it is listening), so nothing is
    # sent to a program that failed to start.
    ready = threading.Event()

    def on_any(message: Message) -> None:
        if message.get("type") == "hello":
            ready.set()
        if on_message:
            on_message(message)

    parts: list[bytearray] = [bytearray()]

    def reader() -> None:
        # Output until \x04, then the traceback (if any) until the second \x04.
        pending = bytearray()
        while not done.is_set():
            data = serial.read(serial.in_waiting or 1)
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
    if not ready.wait(60):
        done.set()
        raise EarshotError("the board did not start listening within 60 s")
    pacer = Pacer() if realtime else None
    try:
        for seq, line in enumerate(audio_lines(samples, hop) if lines is None else lines):
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
    if len(parts) == 2:
        session.error = parts[1].decode(errors="replace").strip()
    return session


def listen_qemu(
    runner: QemuRunner,
    model: str,
    wav: Path,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    **kwargs: Any,
) -> Session:
    """A QEMU board (booted by the runner) listening to a WAV over its UART."""
    rate, _ = model_hop(model)
    samples = load_audio(wav, rate)
    try:
        transport = runner.fresh_session()
        return listen_serial(transport, model, samples, realtime, on_message, **kwargs)
    except (TransportError, OSError) as err:
        runner.close()
        raise EarshotError(f"{runner.board.name}: {err}") from err


def listen_qemu_lines(runner: QemuRunner, model: str, lines: Iterable[bytes]) -> Session:
    """A QEMU board hearing the given protocol lines (e.g. a stream with noise in it)."""
    try:
        transport = runner.fresh_session()
        return listen_serial(transport, model, np.zeros(0, np.int16), lines=lines)
    except (TransportError, OSError) as err:
        runner.close()
        raise EarshotError(f"{runner.board.name}: {err}") from err
