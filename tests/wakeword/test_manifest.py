"""ESPHome microWakeWord manifests as model specs: v1 and v2 manifests give the recipe
(front end step, stride, label, the ESPHome detector keys); a .tflite with its .json beside
it, a .json, a name of models/ and an .esm all resolve; bad manifests are refused by name."""

from __future__ import annotations

import json
import shutil

import pytest

from earshot_host import model_spec
from earshot_host.errors import EarshotError
from earshot_host.esphome_manifest import input_frames, parse_manifest, read_manifest, recipe
from earshot_host.paths import project_root

MODELS = project_root() / "models"
V2 = {
    "type": "micro",
    "wake_word": "Okay Nabu",
    "author": "x",
    "model": "okay_nabu.tflite",
    "version": 2,
    "micro": {
        "probability_cutoff": 0.97,
        "feature_step_size": 10,
        "sliding_window_size": 5,
        "tensor_arena_size": 26080,
    },
}
V1 = {
    "type": "micro",
    "wake_word": "Alexa",
    "model": "alexa.tflite",
    "version": 1,
    "micro": {"probability_cutoff": 0.66, "sliding_window_average_size": 10},
}


@pytest.mark.parametrize("name", ["okay_nabu", "hey_jarvis", "vad"])
def test_shipped_manifests_give_the_v2_recipe(name):
    manifest = read_manifest(MODELS / name / f"{name}.json")
    doc = json.loads((MODELS / name / f"{name}.json").read_text())
    r = recipe(manifest, manifest.model_path.read_bytes())
    assert r["labels"] == [doc["wake_word"]]
    assert r["frontend"]["type"] == "tflm_micro"
    assert r["frontend"]["hop_ms"] == doc["micro"]["feature_step_size"] == 10
    assert r["frontend"]["window_ms"] == 30 and r["frontend"]["channels"] == 40
    assert r["frontend"]["frames"] == 3
    assert r["streaming"] == {"hops_per_inference": 3}
    assert r["detector"] == {
        "rule": "esphome",
        "threshold": doc["micro"]["probability_cutoff"],
        "sliding_window": doc["micro"]["sliding_window_size"],
        "holdoff_frames": 100,
    }


def test_v1_manifest_uses_average_size_and_a_20ms_step(tmp_path, monkeypatch):
    m = parse_manifest(json.dumps(V1), tmp_path / "alexa.json")
    assert (m.version, m.feature_step_ms, m.sliding_window) == (1, 20, 10)
    monkeypatch.setattr("earshot_host.esphome_manifest.input_frames", lambda d, p: (1, 40))
    r = recipe(m, b"")
    assert r["frontend"]["hop_ms"] == 20 and r["frontend"]["frames"] == 1
    assert r["streaming"] == {"hops_per_inference": 1}
    assert r["detector"]["sliding_window"] == 10 and r["detector"]["threshold"] == 0.66


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(type="nano"), "not a microWakeWord manifest"),
        (lambda d: d.update(version=3), "version 3"),
        (lambda d: d.pop("micro"), "no `micro`"),
        (lambda d: d.update(model="../x.tflite"), "`model` must name"),
        (lambda d: d.update(wake_word=" "), "no `wake_word`"),
        (lambda d: d["micro"].pop("sliding_window_size"), "sliding_window_size"),
        (lambda d: d["micro"].update(probability_cutoff=1.5), "probability_cutoff"),
        (lambda d: d["micro"].update(probability_cutoff="high"), "probability_cutoff"),
        (lambda d: d["micro"].update(feature_step_size=7.5), "whole milliseconds"),
        (lambda d: d["micro"].update(feature_step_size=40), "feature_step_size"),
        (lambda d: d["micro"].update(sliding_window_size=2.5), "whole number"),
    ],
)
def test_bad_manifests_are_refused_by_name(tmp_path, change, message):
    doc = json.loads(json.dumps(V2))
    change(doc)
    with pytest.raises(EarshotError, match=message):
        parse_manifest(json.dumps(doc), tmp_path / "m.json")


def test_not_json_is_refused(tmp_path):
    with pytest.raises(EarshotError, match="not JSON"):
        parse_manifest("{", tmp_path / "m.json")


def test_input_of_a_non_wake_word_model_is_refused():
    tflite = (MODELS / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()
    with pytest.raises(EarshotError, match=r"\[1, frames, 40\]"):
        input_frames(tflite, MODELS / "micro_speech")
    with pytest.raises(EarshotError, match="cannot read"):
        input_frames(b"\0" * 16, MODELS / "broken.tflite")


@pytest.fixture
def fake_convert(monkeypatch):
    """The converter replaced by a recorder (the engine's new ops are another WP's); the
    resolution logic is what is under test."""
    calls = []

    class Converted:
        def __init__(self, name):
            self.blob = (MODELS / "micro_speech" / "micro_speech.esm").read_bytes()
            self.model = type("M", (), {"metadata": {"name": name}})()

    def convert(data, *, name, **kw):
        calls.append({"name": name, "data": data, **kw})
        return Converted(name)

    monkeypatch.setattr(model_spec, "convert_tflite", convert)
    return calls


def test_manifest_and_tflite_beside_it_resolve_alike(tmp_path, fake_convert):
    for f in ("okay_nabu.tflite", "okay_nabu.json"):
        shutil.copy(MODELS / "okay_nabu" / f, tmp_path / f)
    by_json = model_spec.resolve_model(tmp_path / "okay_nabu.json")
    by_tflite = model_spec.resolve_model(str(tmp_path / "okay_nabu.tflite"))
    assert by_json.name == by_tflite.name == "okay_nabu" and not by_json.frozen
    a, b = fake_convert
    assert a == b
    assert a["labels"] == ["Okay Nabu"] and a["detector"]["rule"] == "esphome"
    assert a["data"] == (MODELS / "okay_nabu" / "okay_nabu.tflite").read_bytes()


def test_tflite_without_manifest_converts_plainly(tmp_path, fake_convert):
    shutil.copy(MODELS / "okay_nabu" / "okay_nabu.tflite", tmp_path / "w.tflite")
    model_spec.resolve_model(tmp_path / "w.tflite")
    assert fake_convert[0]["labels"] is None and "frontend" not in fake_convert[0]


def test_manifest_naming_another_model_is_refused(tmp_path):
    shutil.copy(MODELS / "okay_nabu" / "okay_nabu.tflite", tmp_path / "w.tflite")
    (tmp_path / "w.json").write_text(json.dumps(V2))
    with pytest.raises(EarshotError, match="describes okay_nabu.tflite, not w.tflite"):
        model_spec.resolve_model(tmp_path / "w.tflite")


def test_labels_for_a_manifest_are_refused(tmp_path):
    with pytest.raises(EarshotError, match="no --labels"):
        model_spec.convert_spec(MODELS / "okay_nabu" / "okay_nabu.json", labels=["x"])


def test_missing_model_file_is_named(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps(V2))
    with pytest.raises(EarshotError, match="okay_nabu.tflite"):
        model_spec.resolve_model(tmp_path / "m.json")


def test_names_and_esm_files_resolve():
    frozen = model_spec.resolve_model("micro_speech")
    assert frozen.frozen and frozen.metadata["labels"] == ["silence", "unknown", "yes", "no"]
    by_file = model_spec.resolve_model(MODELS / "micro_speech" / "micro_speech.esm")
    assert not by_file.frozen and by_file.blob == frozen.blob
    with pytest.raises(EarshotError, match="nor a model of models/"):
        model_spec.resolve_model("no_such_model")
    with pytest.raises(EarshotError, match="already an earshot model"):
        model_spec.convert_spec(MODELS / "micro_speech" / "micro_speech.esm")


def test_convert_name_equals_convert_manifest_and_is_complete(tmp_path, name="okay_nabu"):
    """`earshot convert NAME` (the frozen file) and `earshot convert NAME.json` give the
    same bytes, with labels, front end, stride and detector metadata embedded (the
    catalog test checks every shipped .esm against its recipe)."""
    from cli_support import earshot

    by_name = tmp_path / "a.esm"
    by_json = tmp_path / "b.esm"
    assert earshot("convert", name, "-o", str(by_name)).returncode == 0
    proc = earshot("convert", str(MODELS / name / f"{name}.json"), "-o", str(by_json))
    assert proc.returncode == 0, proc.stderr
    assert by_name.read_bytes() == by_json.read_bytes()
    assert by_name.read_bytes() == (MODELS / name / f"{name}.esm").read_bytes()
    meta = model_spec.resolve_model(by_name).metadata
    doc = json.loads((MODELS / name / f"{name}.json").read_text())
    assert meta["labels"] == [doc["wake_word"]]
    assert meta["frontend"]["hop_ms"] == 10 and meta["frontend"]["frames"] == 3
    assert "tables" in meta["frontend"]
    assert meta["streaming"]["hops_per_inference"] == 3
    assert meta["detector"]["rule"] == "esphome"
    assert meta["detector"]["threshold"] == doc["micro"]["probability_cutoff"]
