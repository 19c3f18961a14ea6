"""earshot boards (what each target can do) and the per-op report of earshot convert."""

from __future__ import annotations

import json

from cli_support import earshot

from earshot_host.boards import load_boards

MICRO_SPEECH_TFLITE = "models/micro_speech/micro_speech_quantized.tflite"


def test_boards_json_says_what_each_target_can_do():
    proc = earshot("boards", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    table = load_boards()
    assert list(rows) == list(table)
    for name, board in table.items():
        row = rows[name]
        assert row["kind"] == board.kind and row["core"] == board.core
        assert row["emulated"] == (board.kind in ("unix", "qemu"))
        assert row["i2s"] == ("i2s_id" in board.extra)
        assert row["ram_bytes"] == (board.ram_bytes or None)
        assert row["flash_bytes"] == (board.flash_bytes or None)
        assert row["heap_bytes"] == (board.heap_bytes or None)
        assert row["clock_hz"] == (board.clock_hz or None)
    assert rows["pico_i2s"]["i2s"] and not rows["pico_i2s"]["emulated"]
    assert rows["qemu_m4"]["emulated"] and not rows["qemu_m4"]["i2s"]


def test_boards_text_has_a_row_per_target():
    proc = earshot("boards")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert "clock" in lines[0] and "flash" in lines[0] and "I2S" in lines[0]
    pico = next(line for line in lines if line.startswith("pico_i2s"))
    assert "125 MHz" in pico and "2048 KiB" in pico and " yes " in pico


def test_convert_json_rows_carry_shapes_macs_and_arena_places(root, tmp_path):
    proc = earshot("convert", str(root / MICRO_SPEECH_TFLITE), "-o", str(tmp_path / "m.esm"),
                   "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    rows = report["rows"]
    assert [r["op"] for r in rows] == ["DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert sum(r["macs"] for r in rows) == report["total_macs"]
    for row in rows:
        assert row["input_shapes"] and row["output_shape"]
        assert row["output_arena_offset"] >= 0
        assert row["output_arena_offset"] + row["output_bytes"] <= report["arena_bytes"]
    assert report["flash_bytes"] == (tmp_path / "m.esm").stat().st_size


def test_convert_text_report_columns(root, tmp_path):
    proc = earshot("convert", str(root / MICRO_SPEECH_TFLITE), "-o", str(tmp_path / "m.esm"))
    assert proc.returncode == 0
    header = proc.stdout.splitlines()[1]
    for column in ("op", "inputs", "output", "MACs", "arena off", "out B"):
        assert column in header
    assert "arena         5,968 bytes" in proc.stdout


def test_boards_says_how_each_target_runs_here_and_its_model_slots():
    rows = {r["name"]: r for r in json.loads(earshot("boards", "--json").stdout)}
    assert rows["pico_i2s"]["emulator"] == "rp2040js" and rows["pico_i2s"]["model_slots"] == 2
    assert rows["qemu_m4"]["model_slots"] == 2 and rows["qemu_m0"]["model_slots"] is None
    assert rows["nucleo_f411re_i2s"]["emulator"] is None
    table = earshot("boards").stdout.splitlines()
    pico = next(line for line in table if line.startswith("pico_i2s"))
    assert " rp2040js " in pico
