"""The benchmark harness on the host: goals, schema, rendering, parsers (no target)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from earshot_host.bench.goals import Goal, evaluate
from earshot_host.bench.measure import callgrind_total, inclusive_counts
from earshot_host.bench.modelinfo import load_model_info
from earshot_host.bench.render import BEGIN, END, render_chart, render_markdown, update_document
from earshot_host.bench.run import COMPARISON
from earshot_host.bench.schema import validate
from earshot_host.bench.sizes import map_totals
from earshot_host.errors import EarshotError


def sample() -> dict[str, Any]:
    """A small bench.json as the harness writes it (one target, one model, both builds)."""
    kernels = {
        "depthwise": {"instructions": 900, "work": 300, "unit": "MAC",
                      "instructions_per_unit": 3.0},
        "softmax": {"instructions": 100, "work": 4, "unit": "element",
                    "instructions_per_unit": 25.0},
    }  # fmt: skip
    data: dict[str, Any] = {
        "schema": 1,
        "generated": "2026-01-01T00:00:00Z",
        "commit": {"describe": "abc1234", "commit": "abc1234" * 5, "dirty": False},
        "tools": {"qemu-system-arm": "QEMU 7.2", "arm-none-eabi-gcc": "gcc 12"},
        "config": {
            "quick": True,
            "repeat": 2,
            "kernels": ["optimized", "reference"],
            "max_spread": 0.01,
        },  # fmt: skip
        "targets": {
            "qemu_m4": {
                "models": {
                    "micro_speech": {
                        "instructions": 1_040_000,
                        "instructions_spread": 0.0,
                        "macs": 320_000,
                        "instructions_per_mac": 3.25,
                        "arena_bytes": 5968,
                        "kernels": kernels,
                        "speedup": 4.0,
                        "reference": {"instructions": 4_160_000, "instructions_per_mac": 13.0},
                    }
                },
                "skipped": {},
                "frontends": {
                    "tflm_micro": {"model": "micro_speech", "instructions_per_hop": 50_000}
                },
                "pipeline": {
                    "micro_speech": {
                        "instructions_per_audio_second": 19e6,
                        "instructions_per_audio_second_gated": 4e6,
                        "ram_bytes": 15000,
                        "heap_bytes": 14000,
                        "static_ram_bytes": 1000,
                        "arena_bytes": 5968,
                    }
                },
                "flash": {
                    "cmodule_bytes": 20000,
                    "package_bytes": 12000,
                    "models": {"micro_speech": 24000},
                },
                "static_ram": {"cmodule_bytes": 1000},
            }  # fmt: skip
        },
        "repeatability": [],
        "comparison": COMPARISON,
    }
    data["goals"] = evaluate(data)
    return data


def goal_row(data: dict[str, Any], goal_id: str) -> dict[str, Any]:
    return next(g for g in data["goals"] if g["id"] == goal_id)


def test_goals_met_missed_and_unmeasured() -> None:
    data = sample()
    met = goal_row(data, "qemu_m4_micro_speech_always_on")  # 19 M <= 20 M
    assert met["met"] is True and met["margin"] == pytest.approx(1e6)
    assert met["margin_ratio"] == pytest.approx(0.05)
    missed = goal_row(data, "qemu_m4_micro_speech_ipm")  # 3.25 > 2.0
    assert missed["met"] is False and missed["margin"] == pytest.approx(-1.25)
    gated = goal_row(data, "qemu_m4_micro_speech_gated")  # 4 M > 3 M
    assert gated["met"] is False and gated["margin_ratio"] == pytest.approx(-1 / 3, abs=1e-4)
    absent = goal_row(data, "qemu_m3_mlperf_kws_ipm")
    assert absent["measured"] is None and absent["met"] is None


def test_goal_at_its_limit_is_met() -> None:
    goal = Goal("g", "g", ("x",), 2.0, "instr/MAC")
    assert evaluate({"x": 2.0}, (goal,))[0]["met"] is True
    assert evaluate({"x": 2.0001}, (goal,))[0]["met"] is False
    assert evaluate({"x": True}, (goal,))[0]["measured"] is None  # not a number


def test_schema_accepts_the_sample_and_names_what_is_missing() -> None:
    validate(sample())
    broken = sample()
    del broken["targets"]["qemu_m4"]["models"]["micro_speech"]["arena_bytes"]
    with pytest.raises(EarshotError, match="micro_speech has no 'arena_bytes'"):
        validate(broken)
    broken = sample()
    broken["targets"]["qemu_m4"]["pipeline"]["micro_speech"]["ram_bytes"] = "lots"
    with pytest.raises(EarshotError, match="ram_bytes is not a non-negative number"):
        validate(broken)
    broken = sample()
    broken["targets"]["qemu_m4"]["models"]["micro_speech"]["reference"] = None
    with pytest.raises(EarshotError, match="reference is not an object"):
        validate(broken)


def test_render_markdown_tables() -> None:
    text = render_markdown(sample())
    row = "| qemu_m4 | micro_speech | 1.04 M | 320,000 | 3.25 | 5,968 | 4.16 M | 13.00 | 4.00 |"
    assert row in text
    assert "| qemu_m4 | tflm_micro | micro_speech | 50,000 |" in text
    assert "**missed** by 1.25 instr/MAC (62% over)" in text
    assert "met (5% to spare)" in text
    assert "not measured" in text
    assert "| qemu_m4 | 20,000 | 1,000 | 12,000 | 24,000 |" in text
    assert "| micro_speech on M4: TFLM / earshot | 1.49 M instr | 1.04 M instr | 0.70x |" in text
    assert "CMSIS-NN" not in text  # no mlperf_kws figure to compare


def test_update_document_replaces_only_the_marked_part(tmp_path: Path) -> None:
    doc = tmp_path / "B.md"
    doc.write_text(f"# Title\n\nintro\n\n{BEGIN}\nold table\n{END}\n\ntail\n")
    update_document(doc, sample())
    first = doc.read_text()
    assert first.startswith("# Title\n\nintro\n\n") and first.endswith(f"{END}\n\ntail\n")
    assert "old table" not in first and "### Goals" in first
    update_document(doc, sample())
    assert doc.read_text() == first
    (tmp_path / "plain.md").write_text("no markers\n")
    with pytest.raises(EarshotError, match="markers"):
        update_document(tmp_path / "plain.md", sample())


def test_render_chart_writes_a_png(tmp_path: Path) -> None:
    data = sample()
    data["targets"]["unix"] = copy.deepcopy(data["targets"]["qemu_m4"])
    render_chart(data, tmp_path / "b.png")
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


MAP = """\
Discarded input sections
 .text.unused   0x00000000       0x40 /b/earshot/conv.o
Memory Configuration
Linker script and memory map
 .text.es_conv_s8
                0x00002f84      0x1e8 /b/earshot/kernels/conv.o
 .rodata.table  0x00003000       0x20 /b/earshot/dsp/rfft.o
 .text.main     0x00004000      0x100 /b/main.o
 .data.state    0x20000000        0x8 /b/earshot/model_run.o
 .bss.buffer    0x20000008       0x10 /b/earshot/model_run.o
 .comment       0x00000000       0x27 /b/earshot/model_run.o
"""


def test_map_totals_count_kept_sections_of_the_module_only() -> None:
    totals = map_totals(MAP, Path("/b/earshot"))
    assert (totals.text, totals.data, totals.bss) == (0x1E8 + 0x20, 8, 0x10)
    assert totals.flash == 0x1E8 + 0x20 + 8 and totals.static_ram == 0x18


def test_callgrind_parsers() -> None:
    assert callgrind_total("events: Ir\nsummary: 1234\n") == 1234
    with pytest.raises(EarshotError):
        callgrind_total("events: Ir\n")
    annotated = (
        "29,440,327 (78.06%)  /x/modearshot.c:earshot_invoke [/x/micropython]\n"
        "28,529,592 (75.64%)  /x/kernels/depthwise_conv.c:es_depthwise_conv_s8 [/x/m]\n"
        "   712,836 ( 1.89%)  /x/kernels/requantize.h:es_depthwise_conv_s8\n"
    )
    counts = inclusive_counts(annotated)
    assert counts["es_depthwise_conv_s8"] == 28_529_592
    assert counts["earshot_invoke"] == 29_440_327


@pytest.mark.parametrize("name", ["micro_speech", "mlperf_kws", "mlperf_sww"])
def test_model_macs_match_the_converter_report(root: Path, name: str) -> None:
    info = load_model_info(root, name)
    report = (root / "models" / name / "MODEL.md").read_text()
    match = re.search(r"MACs per inference \| ([\d,]+)", report)
    assert match, "MODEL.md has no MACs line"
    assert info.macs == int(match.group(1).replace(",", ""))
    assert info.frontend in ("tflm_micro", "mfcc", "logmel")


def test_load_bench_prefers_build_then_docs(tmp_path: Path) -> None:
    from earshot_host.bench.files import load_bench

    with pytest.raises(EarshotError, match="make bench"):
        load_bench(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bench.json").write_text('{"from": "docs"}')
    assert load_bench(tmp_path) == {"from": "docs"}
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "bench.json").write_text('{"from": "build"}')
    assert load_bench(tmp_path) == {"from": "build"}
