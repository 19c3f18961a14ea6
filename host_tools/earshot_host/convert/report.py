"""Per-op and total figures of a converted model: MACs, parameters, arena and flash use."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class OpReportRow:
    """One op of the converted model."""

    index: int
    op: str
    tflite_index: int
    input_shapes: list[list[int]]
    output_shape: list[int]
    macs: int
    param_bytes: int
    output_arena_offset: int
    output_bytes: int


@dataclass
class ModelReport:
    """Rows for every op plus model totals."""

    name: str
    rows: list[OpReportRow]
    total_macs: int
    param_count: int
    param_bytes: int
    arena_bytes: int
    flash_bytes: int
    folded_ops: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    def format_text(self) -> str:
        """A fixed-width table followed by the totals."""
        header = (
            f"{'#':>3} {'op':<18} {'inputs':<28} {'output':<16} {'MACs':>10} "
            f"{'params B':>9} {'arena off':>9} {'out B':>7}"
        )
        lines = [f"model {self.name}", header, "-" * len(header)]
        for row in self.rows:
            inputs = " ".join("x".join(map(str, s)) for s in row.input_shapes)
            output = "x".join(map(str, row.output_shape))
            lines.append(
                f"{row.index:>3} {row.op:<18} {inputs:<28} {output:<16} {row.macs:>10,} "
                f"{row.param_bytes:>9,} {row.output_arena_offset:>9,} {row.output_bytes:>7,}"
            )
        lines.append("-" * len(header))
        lines.append(f"MACs          {self.total_macs:,}")
        lines.append(f"parameters    {self.param_count:,} ({self.param_bytes:,} bytes)")
        lines.append(f"arena         {self.arena_bytes:,} bytes")
        lines.append(f"flash (model) {self.flash_bytes:,} bytes")
        if self.folded_ops:
            lines.append(f"folded        {', '.join(self.folded_ops)}")
        return "\n".join(lines)
