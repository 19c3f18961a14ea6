"""Put a model on a running board: into its inactive model slot, over the raw REPL.

The board's side is the frozen module earshot.store (docs/MODEL_STORE.md). The model is
sent in base64 chunks into the slot that is not active; the board then reads the slot
back and reports its length and CRC-32, which must match the file; only then is the slot
header written, which makes it the active model. The board is soft-reset and must report
the new model as active. A transfer cut off before the header is written leaves the
previous model (or the frozen default) active.
"""

from __future__ import annotations

import ast
import contextlib
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from .errors import EarshotError
from .model_spec import resolve_model
from .runner.result import Progress, b64_literal

# Called with each chunk (index, data) just before it is sent; returns what is sent.
# For tests: a transfer altered in flight.
Tamper = Callable[[int, bytes], bytes]
# Called at each step ("opened", "prepared", "chunk <k>", "verified", "committed"); tests
# raise from it to cut a transfer off at that point.
Checkpoint = Callable[[str], None]

OPEN_CODE = """
import gc, earshot.store as _s
gc.collect()
_st = _s.Store(_s.board_ioctl())
print(repr((_st.slot_bytes, _st.capacity, gc.mem_free())))
"""

PREPARE_CODE = """
_w = _st.writer({length})
print(repr((_w.label, _w.seq, _w.align)))
"""

STATUS_CODE = """
import earshot.store as _s
_a, _d = _s.selection()
print(repr((_a.label, _a.seq, _a.name, _a.length, _a.crc) if _a else None))
print(_d)
"""


@dataclass(frozen=True)
class FlashResult:
    """What flash_model did: the model now active on the board and how it got there."""

    port: str
    name: str  # the model's name, as the board reads it from the slot
    slot: str  # "A" or "B"
    seq: int  # the slot's sequence number (the highest on the board)
    size: int  # bytes of model
    crc: int  # CRC-32 of the model, as read back on the board
    slot_bytes: int  # size of one slot of this board (header included)
    seconds: float  # transfer and verification time (without the soft reset)
    source: str  # what the board reports as its active model after the soft reset

    @property
    def bytes_per_second(self) -> float:
        return self.size / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class BoardModel:
    """The model a board runs when none is named (earshot.store.selection())."""

    slot: str | None  # None: the frozen default
    seq: int
    name: str
    size: int
    crc: int
    source: str  # e.g. "slot A seq 3 (micro_speech)" or "frozen default ...: why"


def chunk_size(heap_free: int, align: int) -> int:
    """Bytes per chunk: the raw REPL holds the snippet (base64, 4/3 of the data) and the
    decoded copy in the board's heap, so small heaps get small chunks."""
    size = max(256, min(4096, heap_free // 16))
    step = max(align, 64)
    return max(step, size - size % step)


class _Board:
    """A board on a serial port in raw REPL; remote failures become EarshotError."""

    def __init__(self, port: str) -> None:
        self.port = port
        if "://" not in port and not Path(port).exists():
            raise EarshotError(f"port {port}: no such device")
        try:
            self.transport = SerialTransport(port, baudrate=115200)
        except TransportError as err:
            raise EarshotError(f"port {port}: cannot open it ({err})") from err

    def enter(self, soft_reset: bool) -> None:
        try:
            self.transport.enter_raw_repl(soft_reset=soft_reset)
        except (TransportError, OSError) as err:
            raise EarshotError(
                f"port {self.port}: no MicroPython raw REPL there ({err}); is it an earshot board?"
            ) from err

    def run(self, code: str, timeout: float = 30.0) -> str:
        try:
            out, err = self.transport.exec_raw(code, timeout=timeout)
        except (TransportError, OSError) as exc:
            raise EarshotError(f"port {self.port}: the board stopped answering ({exc})") from exc
        if err:
            lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
            last = lines[-1] if lines else "error"
            for prefix in ("OSError: ", "ValueError: ", "ImportError: "):
                last = last.removeprefix(prefix)
            raise EarshotError(f"port {self.port}: the board refused: {last}")
        return out.decode(errors="replace")

    def close(self) -> None:
        with contextlib.suppress(TransportError, OSError):
            if self.transport.in_raw_repl:
                self.transport.exit_raw_repl()
        with contextlib.suppress(TransportError, OSError):
            self.transport.close()


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError) as err:
        raise EarshotError(f"unexpected answer from the board: {text.strip()!r}") from err


def _status(board: _Board) -> BoardModel:
    out = board.run(STATUS_CODE).strip().splitlines()
    if len(out) < 2:
        raise EarshotError(f"unexpected answer from the board: {out!r}")
    slot = _literal(out[0])
    source = out[-1]
    if slot is None:
        name = source.split(":")[0].removeprefix("frozen default ").strip()
        return BoardModel(None, 0, name, 0, 0, source)
    label, seq, name, size, crc = slot  # type: ignore[misc]
    return BoardModel(label, seq, name, size, crc, source)


def board_model(port: str) -> BoardModel:
    """The model the board on port runs when none is named (after a soft reset)."""
    board = _Board(port)
    try:
        board.enter(soft_reset=True)
        return _status(board)
    finally:
        board.close()


def load_model_file(spec: str | Path) -> tuple[str, bytes]:
    """(name, bytes) of a model to flash: a .esm, a .tflite (converted) or a model of
    models/; checked with earshot_host.modelfile before anything is sent."""
    source = resolve_model(spec)
    return source.name, source.blob


def flash_model(
    port: str,
    model: str | Path,
    progress: Progress | None = None,
    *,
    tamper: Tamper | None = None,
    checkpoint: Checkpoint | None = None,
) -> FlashResult:
    """Put a model (.esm, .tflite or a name of models/) into the board on port and make it
    the active model; progress(bytes sent, total) after each chunk."""
    name, blob = load_model_file(model)
    crc = zlib.crc32(blob)
    step = checkpoint or (lambda _: None)
    board = _Board(port)
    try:
        board.enter(soft_reset=True)
        step("opened")
        slot_bytes, capacity, heap_free = _literal(board.run(OPEN_CODE))  # type: ignore[misc]
        if len(blob) > capacity:
            raise EarshotError(
                f"model {name} is {len(blob):,} bytes; a model slot of this board holds "
                f"{capacity:,} ({slot_bytes:,} with its header)"
            )
        started = time.monotonic()
        label, seq, align = _literal(board.run(PREPARE_CODE.format(length=len(blob))))  # type: ignore[misc]
        step("prepared")
        size = chunk_size(heap_free, align)
        for index, start in enumerate(range(0, len(blob), size)):
            piece = blob[start : start + size]
            sent = tamper(index, piece) if tamper else piece
            board.run(f"_w.write({start}, {b64_literal(sent)})")
            if progress:
                progress(start + len(piece), len(blob))
            step(f"chunk {index}")
        written, board_crc = _literal(board.run("print(repr(_w.verify()))"))  # type: ignore[misc]
        if written != len(blob) or board_crc != crc:
            raise EarshotError(
                f"transfer corrupted: the board holds {written:,} bytes with CRC {board_crc:08x}, "
                f"the model is {len(blob):,} bytes with CRC {crc:08x}; the model was not "
                "activated (the previous one stays)"
            )
        step("verified")
        new_seq = _literal(board.run(f"print(repr(_w.commit({crc})))", timeout=60.0))
        seconds = time.monotonic() - started
        step("committed")
        board.enter(soft_reset=True)
        status = _status(board)
    finally:
        board.close()
    if status.slot != label or status.seq != new_seq or status.crc != crc:
        raise EarshotError(
            f"port {port}: after the soft reset the board runs {status.source}, "
            f"not the new model (slot {label} seq {new_seq})"
        )
    return FlashResult(
        port=port,
        name=status.name,
        slot=label,
        seq=seq,
        size=len(blob),
        crc=crc,
        slot_bytes=slot_bytes,
        seconds=seconds,
        source=status.source,
    )
