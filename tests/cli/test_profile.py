"""earshot profile: flash, RAM, latency and duty cycle of a model on a board, from the
board table, the model file and a bench file."""

from __future__ import annotations

import json
import os

import pytest
from cli_support import assert_one_line_error, earshot

from earshot_host.catalog import load_catalog
from earshot_host.modelfile import read_model
from earshot_host.paths import project_root
from earshot_host.profile import frontend_state_bytes, model_macs, pipeline_ram

ROOT = project_root()

BENCH = {
    "targets": {
        "qemu_m0": {
            "models": {
                "micro_speech": {"instructions_per_mac": 9.5,
                                 "frontend_instructions_per_hop": 400_000},
            }
        },
        "qemu_m4": {
            "models": {
                "micro_speech": {"instructions_per_mac": 2.0,
                                 "frontend_instructions_per_hop": 100_000},
                "mlperf_kws": {"instructions_per_mac": 1.5},
            },
            "frontends": {"mfcc": {"instructions_per_hop": 150_000}},
        },
    }
}  # fmt: skip


@pytest.fixture
def bench(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(BENCH))
    return path


def profile_json(*args: str) -> dict:
    proc = earshot("profile", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_micro_speech_fits_on_the_m4(bench):
    p = profile_json("micro_speech", "--board", "qemu_m4", "--bench", str(bench))
    assert p["macs"] == 336_000
    assert p["inference_instructions"] == 672_000
    assert p["inference_ms"] == pytest.approx(672_000 / 25e6 * 1000)
    # One inference per 2 hops of 20 ms, and the front end on every hop.
    assert p["duty_cycle"] == pytest.approx((672_000 + 2 * 100_000) / 25e6 / 0.040)
    esm = ROOT / "models" / "micro_speech" / "micro_speech.esm"
    assert p["ram"]["arena"] == read_model(esm.read_bytes()).arena_size
    assert p["ram"]["feature_window"] == 0  # the window slides inside the model input
    assert p["ram"]["total"] == sum(v for k, v in p["ram"].items() if k != "total")
    assert p["flash_bytes"] == p["firmware_bytes"] + p["model_bytes"]
    assert p["fits"] and p["verdict"] == "fits"


def test_text_report_ends_with_the_verdict(bench):
    proc = earshot("profile", "micro_speech", "--board", "qemu_m4", "--bench", str(bench))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "fits"
    assert any(line.startswith("duty") and "%" in line for line in lines)


def test_kws_does_not_fit_the_m0(bench):
    p = profile_json("mlperf_kws", "--board", "qemu_m0", "--bench", str(bench))
    assert not p["fits"]
    assert p["verdict"].startswith("does not fit, because RAM")
    assert "duty cycle" in p["verdict"]  # 2.66 M MACs at ~9.5 instructions, 16 MHz
    assert p["bench"]["ipm_source"].startswith("median")


CYCLES = {
    "boards": {
        "pico_i2s": {
            "emulator": "rp2040js",
            "models": {
                "micro_speech": {"cycles_per_mac": 13.5, "frontend_cycles_per_hop": 280_000},
                "mlperf_kws": {"cycles_per_mac": 14.4, "frontend_cycles_per_hop": 760_000},
            },
        }
    }
}


def test_the_pico_takes_the_cycles_measured_in_its_emulator(bench, tmp_path):
    cycles = tmp_path / "cycles.json"
    cycles.write_text(json.dumps(CYCLES))
    p = profile_json("micro_speech", "--board", "pico_i2s", "--bench", str(bench),
                     "--cycles", str(cycles))  # fmt: skip
    assert p["bench"]["unit"] == "cycles" and p["bench"]["instructions_per_mac"] == 13.5
    assert p["inference_ms"] == pytest.approx(336_000 * 13.5 / 125e6 * 1000)
    assert p["frontend_hop_ms"] == pytest.approx(280_000 / 125e6 * 1000)
    assert p["heap_source"].startswith("assumed")
    # A model the emulator did not run: the median of those it did.
    sww = profile_json("mlperf_sww", "--board", "pico_i2s", "--cycles", str(cycles))
    assert sww["bench"]["instructions_per_mac"] == pytest.approx(13.95)
    assert sww["bench"]["ipm_source"].startswith("median of micro_speech, mlperf_kws measured")


def test_the_pico_without_emulator_cycles_takes_the_m0_figures(bench, tmp_path):
    cycles = tmp_path / "cycles.json"
    cycles.write_text(json.dumps({"boards": {}}))
    p = profile_json("micro_speech", "--board", "pico_i2s", "--bench", str(bench),
                     "--cycles", str(cycles))  # fmt: skip
    assert p["bench"]["target"] == "qemu_m0" and p["bench"]["instructions_per_mac"] == 9.5
    assert p["bench"]["unit"] == "instructions"


def test_the_committed_cycle_table_answers_for_mlperf_kws_on_the_pico():
    # docs/emulator_cycles.json: the M0+ kernels measured in rp2040js (docs/M0.md).
    p = profile_json("mlperf_kws", "--board", "pico_i2s")
    assert p["bench"]["unit"] == "cycles" and p["bench"]["path"].endswith("emulator_cycles.json")
    assert 100 < p["inference_ms"] < 120  # 109.5 ms measured in rp2040js


def test_mlperf_kws_fits_the_pico_by_alternating_its_cores(root):
    # The emulated Pico's cycles (docs/emulator_cycles.json): ~110 ms per inference of
    # each 100 ms (5 hops of 20 ms): one core and the split fall behind; alternating, the
    # first core runs 10 hops and one inference per 200 ms (docs/M0.md).
    measured = json.loads((root / "docs" / "emulator_cycles.json").read_text())
    kws = measured["boards"]["pico_i2s"]["models"]["mlperf_kws"]
    inference, hop = kws["cycles_per_inference"], kws["frontend_cycles_per_hop"]
    period = 125e6 * 0.100  # cycles per inference period
    p = profile_json("mlperf_kws", "--board", "pico_i2s")
    assert p["cores"] == 2 and p["arrangement"] == "alternate" and p["fits"]
    assert p["duty_cycle"] == pytest.approx((inference + 5 * hop) / period, rel=0.01)
    busier, other = (inference + 10 * hop) / (2 * period), inference / (2 * period)
    assert p["core_loads"] == pytest.approx([busier, other], rel=0.01)
    assert 0.1 < p["headroom"] == pytest.approx(1 - busier, abs=0.01)
    # A second arena, the window apart from the input, a ring of an inference's hops.
    assert p["ram"]["second_arena"] == p["ram"]["arena"]
    assert p["ram"]["ring"] == 2 * 320 * 6
    proc = earshot("profile", "mlperf_kws", "--board", "pico_i2s")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == (
        "fits always-on by alternating inferences between the 2 cores (--cores 2 --alternate):"
        f" the busier core {100 * p['core_loads'][0]:.1f} % busy,"
        f" {100 * p['headroom']:.1f} % headroom"
    )
    assert lines[-2].startswith(
        f"cores   alternate (--cores 2 --alternate): core 0 {100 * p['core_loads'][0]:.1f} %"
    )


def test_two_cores_take_the_simplest_arrangement_that_keeps_up(tmp_path):
    cycles = tmp_path / "cycles.json"
    # micro_speech: one core keeps up (the board's own verdict, no second core needed).
    cycles.write_text(json.dumps({"boards": {"pico_i2s": {"models": {"micro_speech": {
        "cycles_per_mac": 7.06, "frontend_cycles_per_hop": 277_000}}}}}))  # fmt: skip
    p = profile_json("micro_speech", "--board", "pico_i2s", "--cycles", str(cycles))
    assert p["arrangement"] == "one core" and p["verdict"] == "fits"
    assert p["ram"]["second_arena"] == 0 and p["ram"]["ring"] == 2 * 320 * 4
    # The figures before the M0 kernels (306 ms per 100 ms): no arrangement keeps up.
    cycles.write_text(json.dumps(CYCLES))
    p = profile_json("mlperf_kws", "--board", "pico_i2s", "--cycles", str(cycles))
    assert not p["fits"] and p["arrangement"] == "alternate" and p["headroom"] < 0
    assert "on the busier of 2 cores at best (alternate)" in p["verdict"]


def test_a_board_of_one_core_weighs_one_core(bench):
    p = profile_json("mlperf_kws", "--board", "nucleo_f411re_i2s", "--bench", str(bench))
    assert p["cores"] == 1 and p["arrangement"] == "one core" and p["core_loads"] == []


def test_front_end_by_type(bench):
    p = profile_json("mlperf_kws", "--board", "nucleo_f411re_i2s", "--bench", str(bench))
    assert p["frontend_hop_ms"] == pytest.approx(150_000 / 96e6 * 1000)


def test_a_core_the_bench_lacks(bench):
    proc = earshot("profile", "micro_speech", "--board", "qemu_m7", "--bench", str(bench))
    assert_one_line_error(proc, "cortex-m7", "make bench")


def test_no_bench_file_anywhere(root, tmp_path):
    # A checkout with the board table and models but no build/bench.json or docs/bench.json.
    for folder in ("boards", "models"):
        (tmp_path / folder).symlink_to(root / folder)
    env = dict(os.environ, EARSHOT_ROOT=str(tmp_path))
    proc = earshot("profile", "micro_speech", "--board", "qemu_m4", env=env)
    assert_one_line_error(proc, "make bench")


def test_bad_arguments(bench, tmp_path):
    assert earshot("profile", "micro_speech").returncode == 2
    assert_one_line_error(earshot("profile", "micro_speech", "--board", "unix", "--bench",
                                  str(bench)), "microcontroller")  # fmt: skip
    assert_one_line_error(earshot("profile", "nope", "--board", "qemu_m4", "--bench",
                                  str(bench)), "nope")  # fmt: skip
    assert_one_line_error(earshot("profile", "micro_speech", "--board", "qemu_m4", "--bench",
                                  str(tmp_path / "none.json")), "none.json")  # fmt: skip
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert_one_line_error(earshot("profile", "micro_speech", "--board", "qemu_m4", "--bench",
                                  str(broken)), "bench file")  # fmt: skip


@pytest.mark.parametrize("name", ["micro_speech", "mlperf_kws", "mlperf_sww"])
def test_macs_from_the_model_file_match_the_converter(name):
    entry = load_catalog()[name]
    report = entry.convert().report
    assert model_macs(read_model(entry.model_path.read_bytes())) == report.total_macs


# The front end's state_bytes as the firmware reports it (qemu_m4, MicroPython v1.25.0).
MEASURED_FRONTEND_STATE = {"micro_speech": 2936, "mlperf_kws": 3712, "mlperf_sww": 6848}


@pytest.mark.parametrize("name", sorted(MEASURED_FRONTEND_STATE))
def test_front_end_state_as_the_firmware_allocates_it(name):
    model = read_model(load_catalog()[name].model_path.read_bytes())
    assert frontend_state_bytes(model.metadata["frontend"]) == MEASURED_FRONTEND_STATE[name]


def test_pipeline_buffers_of_micro_speech():
    model = read_model(load_catalog()["micro_speech"].model_path.read_bytes())
    ram, hop_ms, every = pipeline_ram(model)
    assert (hop_ms, every) == (20, 2)
    assert ram.ring == 2 * 320 * 2  # two hops of int16 for audio pulled from the host
    assert ram.feature_window == 0  # it slides inside the model's input
    assert ram.line_buffer == 4 * (642 // 3) + 32
    mic, _, _ = pipeline_ram(model, microphone=True)
    assert mic.ring == 4 * 320 * 2 and mic.line_buffer == 0


def test_peak_normalized_models_keep_their_own_window():
    model = read_model(load_catalog()["mlperf_kws"].model_path.read_bytes())
    ram, _, every = pipeline_ram(model)
    assert every == 5
    assert ram.feature_window == 49 * 10 + 2 * 49  # window + int16 per-hop peaks


def test_a_model_file_the_bench_did_not_run(root, bench, tmp_path):
    esm = tmp_path / "my_speech.esm"
    esm.write_bytes((root / "models/micro_speech/micro_speech.esm").read_bytes())
    p = profile_json(str(esm), "--board", "qemu_m4", "--bench", str(bench))
    assert p["model"] == "my_speech" and p["macs"] == 336_000
    assert p["bench"]["instructions_per_mac"] == 1.75  # median of 2.0 and 1.5
    assert p["hops_per_inference"] == 2  # from the file's metadata
