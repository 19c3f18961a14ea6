"""The error raised when an earshot model file fails a check."""

from __future__ import annotations

from ..errors import EarshotError


class ModelFormatError(EarshotError, ValueError):
    """An earshot model file is malformed; the message starts with the failed check's code."""
