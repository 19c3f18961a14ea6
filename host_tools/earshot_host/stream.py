"""Stream a WAV to a board over its serial port, as a board without a microphone (or a
QEMU board) hears audio: the detector is started from the raw REPL, and once it has
said hello the audio goes out as protocol lines (uart_stream), hop by hop.

Pacing: with realtime, one hop is sent per hop of audio time (uart_stream.Pacer);
otherwise as fast as the board takes them (the port's flow control holds the writer; a
board that stops reading for write_timeout seconds is an error). A plain UART at
115200 baud carries about 11 kB/s, a quarter of the 43 kB/s of 16 kHz audio as lines,
so real time needs USB CDC (or the emulator's pty).

Without a watcher the streamer reads the port only until the hello (under the port's
exclusive lock, see serial_port) and then only writes, so that `earshot watch` can read
the same port; with one (stream --watch) it reads everything itself (listen.listen_serial).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from .errors import EarshotError
from .serial_port import WRITE_TIMEOUT, close_board, exclusive_access, open_board
from .session import Session, hello_hop, listen_code, listen_serial, load_audio_for
from .uart_stream import END_LINE, Pacer, audio_lines
from .watch import Message, parse_line

Progress = Callable[[int, int], None]


@dataclass
class StreamResult:
    hops: int  # audio lines sent
    audio_s: float
    wall_s: float
    hello: Message
    session: Session | None = None  # what the board printed (stream --watch only)


def start_listening(
    transport: SerialTransport,
    model: str | None,
    stats_ms: int = 10_000,
    timeout: float = 60.0,
    device_args: tuple[str, ...] = (),
) -> Message:
    """Start the detector on the board (raw REPL) and read until its hello, under the
    port's exclusive lock; returns the hello."""
    port = transport.serial
    with exclusive_access(port.fileno()):
        try:
            transport.enter_raw_repl(soft_reset=True)
            transport.exec_raw_no_follow(listen_code(model, device_args, stats_ms))
        except (TransportError, serial.SerialException, OSError) as err:
            raise EarshotError(
                f"{transport.device_name}: the board does not answer: {err}"
            ) from err
        return _read_hello(port, timeout)


def _read_hello(port: serial.Serial, timeout: float) -> Message:
    deadline = time.monotonic() + timeout
    line = bytearray()
    error = bytearray()
    ends = 0  # Ctrl-D bytes: the program ended (its error text follows the first)
    port.timeout = 0.2
    while time.monotonic() < deadline:
        try:
            data = port.read(port.in_waiting or 1)
        except (serial.SerialException, OSError) as err:
            raise EarshotError(f"the port closed before the board listened: {err}") from err
        for byte in data:
            if byte == 4:
                ends += 1
                if ends == 2:
                    text = error.decode(errors="replace").strip().splitlines()
                    reason = text[-1] if text else "the program ended"
                    raise EarshotError(f"the board could not start listening: {reason}")
            elif ends:
                error.append(byte)
            else:
                line.append(byte)
                if byte == 10:
                    message = parse_line(bytes(line))
                    line.clear()
                    if message and message["type"] == "hello":
                        return message
                    if message and message["type"] == "error":
                        raise EarshotError(
                            f"the board could not start listening: {message.get('message')}"
                        )
    raise EarshotError(f"the board did not start listening within {timeout:g} s")


def send_lines(
    port: serial.Serial,
    lines: Iterable[bytes],
    rate: int,
    hop: int,
    realtime: bool,
    progress: Progress | None = None,
    total: int = 0,
) -> int:
    """Write audio lines, paced to the audio when realtime; returns the hops sent."""
    pacer = Pacer() if realtime else None
    sent = 0
    try:
        for seq, line in enumerate(lines):
            if pacer:
                pacer.wait(seq * hop / rate)
            port.write(line)
            if line.startswith(b"a"):
                sent += 1
                if progress and sent % 50 == 0:
                    progress(sent, total)
        port.flush()
    except serial.SerialTimeoutException as err:
        raise EarshotError(
            f"the board stopped reading audio (nothing taken for {WRITE_TIMEOUT} s)"
        ) from err
    except (serial.SerialException, OSError) as err:
        raise EarshotError(f"the port closed while streaming: {err}") from err
    if progress:
        progress(sent, total)
    return sent


def stream_wav(
    port: str,
    wav: Path,
    model: str | None,
    realtime: bool = False,
    on_message: Callable[[Message], None] | None = None,
    progress: Progress | None = None,
    stats_ms: int = 10_000,
    on_hello: Callable[[Message], None] | None = None,
    device_args: Sequence[str] = (),
) -> StreamResult:
    """Play a WAV to the detector of the board on a port. With on_message the streamer
    reads all the board prints (stream --watch) and waits for the board's end; without,
    it reads only until the hello and leaves the rest to a watcher. model None: the board's
    active model (the WAV's rate is checked against what the board's hello announces).
    device_args go to the device command line unchanged."""
    samples, wav_rate = load_audio_for(model, wav)
    transport = open_board(port)
    started = time.monotonic()
    try:
        if on_message is not None:
            hello: dict[str, Any] = {}

            def on_any(message: Message) -> None:
                if message["type"] == "hello":
                    hello.update(message)
                    if on_hello:
                        on_hello(message)
                on_message(message)

            try:
                transport.enter_raw_repl(soft_reset=True)
                session = listen_serial(
                    transport,
                    model,
                    samples,
                    realtime,
                    on_any,
                    stats_ms=stats_ms,
                    device_args=device_args,
                    sample_rate=wav_rate,
                )
            except (TransportError, serial.SerialException, OSError) as err:
                raise EarshotError(f"{port}: {err}") from err
            errors = session.of_type("error")
            if session.error.strip() and not errors:
                raise EarshotError(f"the board stopped: {session.error.strip().splitlines()[-1]}")
            rate, hop = hello_hop(hello)
            count = -(-len(samples) // hop)
            return StreamResult(
                count, len(samples) / rate, time.monotonic() - started, hello, session
            )
        hello = start_listening(transport, model, stats_ms, device_args=tuple(device_args))
        rate, hop = hello_hop(hello)
        if wav_rate is not None and wav_rate != rate:
            transport.serial.write(END_LINE)
            raise EarshotError(f"{wav} is {wav_rate} Hz; the board's model needs {rate} Hz")
        count = -(-len(samples) // hop)
        if on_hello:
            on_hello(hello)
        sent = send_lines(
            transport.serial, audio_lines(samples, hop), rate, hop, realtime, progress, count
        )
        return StreamResult(sent, len(samples) / rate, time.monotonic() - started, hello)
    except KeyboardInterrupt:
        # The board's line source ignores Ctrl-C (noise on the line must not stop it):
        # end its stream so that it returns to the REPL.
        with contextlib.suppress(serial.SerialException, OSError):
            transport.serial.write(END_LINE)
            transport.serial.flush()
        raise
    finally:
        close_board(transport)
