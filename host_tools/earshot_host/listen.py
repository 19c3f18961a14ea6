"""Listen on a target: play a WAV to the firmware's detector and collect what it prints.

On the Unix port the firmware reads the WAV itself (`micropython -m earshot --wav`). A
board (QEMU, or any serial port) runs the detector from the raw REPL and hears the audio
as protocol lines sent over its console (uart_stream); its JSON lines come back the same
way.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from mpremote.transport import TransportError

from .boards import Board
from .errors import EarshotError
from .frontend.wav import WavFormatError, read_wav
from .model_spec import resolve_model
from .paths import project_root
from .runner.qemu import QemuRunner
from .uart_stream import END_LINE, Pacer, audio_lines

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
    """(sample rate, samples per hop) of a model spec (model_spec) with a front end."""
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


def listen_unix(
    board: Board,
    model: str,
    wav: Path,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    extra_args: tuple[str, ...] = (),
) -> Session:
    """Run the Unix firmware's detector on a WAV file. model: any model spec; one the
    firmware has not frozen is written to a temporary .esm and given as --model-file."""
    source = resolve_model(model)
    model_hop(model)
    firmware = board.firmware_path(project_root())
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make unix`)")
    with tempfile.TemporaryDirectory() as tmp:
        if source.frozen:
            chosen = ["--model", source.name]
        else:
            path = Path(tmp) / f"{source.name}.esm"
            path.write_bytes(source.blob)
            chosen = ["--model-file", str(path)]
        args = [str(firmware), "-m", "earshot", *chosen, "--wav", str(wav), *extra_args]
        if realtime:
            args.append("--realtime")
        session = Session()
        with subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as proc:
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
    code = listen_code(model, stats_ms)
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
_l = Listener({model}, stats_ms={stats_ms}{options})
_s = LineSource(_l.frontend.sample_rate, _l.frontend.hop)
try:
    _l.run(_s)
finally:
    _s.close()
"""


def model_expression(model: str | None) -> str:
    """The board-side expression of a model: a frozen one by name, or (None) the board's
    active model (its newest valid model slot, else the frozen default)."""
    if model is None:
        return "earshot.active_model()"
    return f"earshot.Model.frozen({model!r})"


def listen_code(model: str | None, stats_ms: int = 10_000, options: str = "") -> str:
    """The program that runs the detector on a board, hearing protocol lines on its console."""
    return LISTEN_CODE.format(model=model_expression(model), stats_ms=stats_ms, options=options)


def hello_hop(hello: Message) -> tuple[int, int]:
    """(sample rate, samples per hop) that a board's hello announces."""
    try:
        rate = int(hello["sample_rate"])
        return rate, rate * int(hello["hop_ms"]) // 1000
    except (KeyError, TypeError, ValueError) as err:
        raise EarshotError(f"the board's hello has no usable sample_rate/hop_ms: {hello}") from err


def listen_serial(
    transport: Any,
    model: str | None,
    samples: np.ndarray,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    stats_ms: int = 10_000,
    options: str = "",
    timeout: float = 600.0,
    lines: Iterable[bytes] | None = None,
    sample_rate: int | None = None,
    code: str | None = None,
) -> Session:
    """Run the detector on a board in raw REPL (an mpremote SerialTransport) and send it the
    samples as protocol lines (or the given lines, e.g. with noise mixed in); returns what
    it printed. model None: the board's active model; the samples must then be at the
    sample rate its hello announces (else the stream is ended at once and refused).
    `code` replaces the listening program (listen_code)."""
    session = Session()
    transport.exec_raw_no_follow(
        code if code is not None else listen_code(model, stats_ms, options)
    )
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
    if not ready.wait(60):
        done.set()
        raise EarshotError("the board did not start listening within 60 s")
    rate, hop = hello_hop(hellos[0]) if hellos else (1, 1)
    if model is not None and hellos and (rate, hop) != model_hop(model):
        raise EarshotError(f"the board's {model} hears {rate} Hz in hops of {hop} samples")
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


def listen_port(
    port: str,
    model: str | None,
    wav: Path,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    **kwargs: Any,
) -> Session:
    """The board on a serial port (a USB board, or a QEMU board's pty) listening to a WAV
    (model None: with the board's active model)."""
    from .stream import close_board, open_board

    samples, rate = load_audio_for(model, wav)
    transport = open_board(port)
    try:
        transport.enter_raw_repl(soft_reset=True)
        return listen_serial(
            transport, model, samples, realtime, on_message, sample_rate=rate, **kwargs
        )
    except (TransportError, OSError) as err:
        raise EarshotError(f"{port}: {err}") from err
    finally:
        close_board(transport)
