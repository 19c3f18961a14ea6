"""earshot record: capture what a board hears to WAV files."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EarshotError
from ..listen import listen
from ..record import clips_of, record_unix_mic, write_clips
from ..session import Message, Session, read_audio
from ..targets import open_target

if TYPE_CHECKING:
    from mpremote.transport_serial import SerialTransport

EXAMPLES = """examples:
  earshot record --port /dev/ttyACM0 -o kitchen.wav --seconds 60
  earshot record --port /dev/ttyACM0 -o wake.wav --on-detection --seconds 600
  earshot record --target qemu_m4 --wav speech.wav -o heard.wav
  earshot record --target unix --wav speech.wav -o heard.wav --on-detection

A board with a microphone (--port, no --wav) sends what its microphone hears for
--seconds of audio, continuously or only the 2 s around each detection (--on-detection:
1.5 s before, 0.5 s after; files OUT-1.wav, OUT-2.wav, ...). With --wav the board hears
that WAV instead: over its console (a board without a microphone, a QEMU board: --uart),
or on the Unix port through its microphone stand-in (32-bit I2S slots on standard input).
"""

NAME = "record"
HELP = "record what a board hears (its microphone) to WAV files"
DESCRIPTION = "Capture a board's audio, continuously or around each detection, to WAV."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="the serial port of a board running earshot")
    where.add_argument("--target", help="a target of boards.toml (unix, qemu_m4, ...)")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the WAV to write")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio to record (mic)")
    parser.add_argument("--on-detection", action="store_true", help="only around detections")
    parser.add_argument("--model", help="a model frozen in the firmware (default: the board's)")
    parser.add_argument("--wav", type=Path, help="play this to the board instead of its mic")


def record_mic_port(port: str, model: str | None, seconds: float, flag: str) -> Session:
    """A board's microphone for `seconds` of audio (lines counted), then Ctrl-C."""
    args = ["--mic", flag] + (["--model", model] if model else [])
    session = Session()
    with open_target(port) as target:
        transport = target.runner.fresh_session()
        _record_mic(transport, args, seconds, flag, session, port)
    return session


def _record_mic(
    transport: SerialTransport,
    args: list[str],
    seconds: float,
    flag: str,
    session: Session,
    port: str,
) -> None:
    try:
        transport.exec_raw_no_follow(f"from earshot.cli import main\nmain({args!r})\n")
        serial = transport.serial
        hop_ms = None
        heard_ms = 0.0
        started = time.monotonic()
        limit = seconds if flag == "--record" else None
        pending = b""
        while limit is None or heard_ms < limit * 1000:
            if limit is None and time.monotonic() - started > seconds:
                break
            chunk = serial.read(serial.in_waiting or 1)
            if b"\x04" in chunk:
                break  # the program ended (an error: its traceback follows)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                session.take(line.decode(errors="replace"), None)
                last = session.messages[-1] if session.messages else {}
                if last.get("type") == "hello":
                    hop_ms = int(last["hop_ms"])
                elif last.get("type") == "audio" and hop_ms:
                    heard_ms += hop_ms
        serial.write(b"\x03")
    except OSError as err:
        raise EarshotError(f"{port}: {err}") from err


def run(args: argparse.Namespace) -> int:
    flag = "--record-on-detection" if args.on_detection else "--record"
    if args.wav is not None and not args.wav.is_file():
        raise EarshotError(f"no WAV file {args.wav}")

    def show(message: Message) -> None:
        if message.get("type") == "detection":
            print(f"earshot record: {message['label']} at {message['t_ms'] / 1000:.2f} s",
                  file=sys.stderr)  # fmt: skip

    if args.wav is None:
        if args.port is None:
            raise EarshotError("--target needs --wav (a target here has no microphone)")
        session = record_mic_port(args.port, args.model, args.seconds, flag)
    elif args.target == "unix":
        from ..boards import get_board

        if args.model is None:
            raise EarshotError("--model is needed on the Unix port")
        samples, _ = read_audio(args.wav)
        session = record_unix_mic(get_board("unix"), args.model, samples, [flag], show)
    else:
        session = listen(args.port or args.target, args.model, args.wav, [flag], show)
    errors = session.of_type("error")
    if errors or session.error.strip():
        raise EarshotError(errors[0]["message"] if errors else session.error.strip())
    hellos = session.of_type("hello")
    if not hellos:
        raise EarshotError("the board did not start listening")
    hello = hellos[0]
    clips = clips_of(session.messages, int(hello["hop_ms"]))
    paths = write_clips(clips, args.output, int(hello["sample_rate"]), args.on_detection)
    for path, clip in zip(paths, clips, strict=True):
        print(f"{path}: {len(clip.samples) / int(hello['sample_rate']):.2f} s from "
              f"{clip.start_ms / 1000:.2f} s")  # fmt: skip
    if not paths:
        print("earshot record: nothing recorded" + (" (no detection)" if args.on_detection else ""),
              file=sys.stderr)  # fmt: skip
    return 0
