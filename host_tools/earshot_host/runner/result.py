"""What running code on a target gives back."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import EarshotError

# Progress callback: (bytes done, bytes total).
Progress = Callable[[int, int], None]


class RemoteError(EarshotError):
    """Code raised an exception on the target; the message holds the target's traceback."""


@dataclass(frozen=True)
class RunResult:
    """Output of one run: stdout, and the traceback (or failure reason) if it failed."""

    target: str
    output: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def check(self) -> str:
        """The output, or RemoteError with the target's traceback."""
        if self.error:
            raise RemoteError(f"on {self.target}:\n{self.error.rstrip()}")
        return self.output


def b64_literal(data: bytes) -> str:
    """A MicroPython expression for data: base64 text decoded on the target (a third of
    the size of a bytes literal of arbitrary data)."""
    return f"__import__('binascii').a2b_base64({base64.b64encode(data).decode()!r})"
