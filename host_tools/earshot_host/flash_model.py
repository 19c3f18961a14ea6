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
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import EarshotError
from .model_spec import ModelSource, resolve_model
from .runner.result import Progress, RunResult, b64_literal

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


class CodeRunner(Protocol):
    """What flashing needs of a target: code run in its raw REPL (runner.SerialRunner)."""

    name: str

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult: ...


class _Board:
    """A board in raw REPL; remote failures become EarshotError naming the board."""

    def __init__(self, runner: CodeRunner) -> None:
        self.runner = runner
        self.name = runner.name

    def enter(self) -> None:
        """A soft reset: a fresh session, as the board is after a reset."""
        self.run("pass", soft_reset=True)

    def run(self, code: str, timeout: float = 30.0, soft_reset: bool = False) -> str:
        result = self.runner.run(code, timeout=timeout, soft_reset=soft_reset)
        if result.error.startswith("target stopped answering"):
            raise EarshotError(f"{self.name}: the board stopped answering ({result.error})")
        if result.error:
            lines = [line for line in result.error.splitlines() if line.strip()]
            last = lines[-1] if lines else "error"
            for prefix in ("OSError: ", "ValueError: ", "ImportError: "):
                last = last.removeprefix(prefix)
            raise EarshotError(f"{self.name}: the board refused: {last}")
        return result.output


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


def board_model(runner: CodeRunner) -> BoardModel:
    """The model the board runs when none is named (after a soft reset)."""
    board = _Board(runner)
    board.enter()
    return _status(board)


def flash_model(
    runner: CodeRunner,
    model: str | Path | ModelSource,
    progress: Progress | None = None,
    *,
    tamper: Tamper | None = None,
    checkpoint: Checkpoint | None = None,
) -> FlashResult:
    """Put a model (.esm, .tflite, a name of models/, or a ModelSource) into the board's
    inactive model slot and make it the active model; progress(bytes sent, total) after
    each chunk."""
    source = model if isinstance(model, ModelSource) else resolve_model(model)
    name, blob = source.name, source.blob
    crc = zlib.crc32(blob)
    step = checkpoint or (lambda _: None)
    board = _Board(runner)
    board.enter()
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
    board.enter()
    status = _status(board)
    if status.slot != label or status.seq != new_seq or status.crc != crc:
        raise EarshotError(
            f"{board.name}: after the soft reset the board runs {status.source}, "
            f"not the new model (slot {label} seq {new_seq})"
        )
    return FlashResult(
        port=board.name,
        name=status.name,
        slot=label,
        seq=seq,
        size=len(blob),
        crc=crc,
        slot_bytes=slot_bytes,
        seconds=seconds,
        source=status.source,
    )
