"""models/: every recipe converts to the committed .esm, MODEL.md figures are current, the
frozen package holds the exact model bytes, and the catalog refuses bad recipes.

Each check compares against something the catalog did not write itself: the .tflite's own
output shape, the bytes the frozen module evaluates to, the recipe files on disk."""

from __future__ import annotations

import ast
import json

import pytest

from earshot_host.catalog import (
    figures_markdown,
    load_catalog,
    write_frozen_package,
    write_frozen_variants,
)
from earshot_host.convert.tflite_graph import read_tflite
from earshot_host.errors import EarshotError
from earshot_host.modelfile import read_model

CATALOG = load_catalog()


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_committed_model_is_the_conversion_of_its_recipe(name):
    entry = CATALOG[name]
    converted = entry.convert()
    assert entry.model_path.read_bytes() == converted.blob, "run `make models`"
    assert figures_markdown(converted) in entry.doc_path.read_text(), "run `make models`"


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_model_doc_states_provenance_and_licence(name):
    entry = CATALOG[name]
    doc = entry.doc_path.read_text()
    assert "**Provenance.**" in doc and "**Licence:**" in doc
    assert entry.source in doc
    assert entry.source_path.is_file()


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_labels_name_every_class_of_the_source_model(name):
    """The labels in the .esm count the classes of the .tflite's own output (read from the
    flatbuffer, not from the converter's output)."""
    entry = CATALOG[name]
    metadata = read_model(entry.model_path.read_bytes()).metadata
    assert metadata["name"] == name
    labels = metadata["labels"]
    if not labels:
        return  # a model without classes (autoencoder, image classifier without labels)
    graph = read_tflite(entry.source_path.read_bytes())
    shape = graph.tensors[graph.outputs[0]].shape
    assert len(labels) == (shape[-1] if len(shape) else 1)


def test_frozen_package_holds_exact_bytes(tmp_path):
    entries = [CATALOG["micro_speech"], CATALOG["mlperf_sww"]]
    written = write_frozen_package(entries, tmp_path)
    assert len(written) == 3
    package = tmp_path / "earshot_models"
    init = ast.parse((package / "__init__.py").read_text())
    assert ast.literal_eval(init.body[0].value) == ("micro_speech", "mlperf_sww")
    for entry in entries:
        module = ast.parse((package / f"{entry.name}.py").read_text())
        (assign,) = module.body
        assert assign.targets[0].id == "MODEL"
        assert ast.literal_eval(assign.value) == entry.model_path.read_bytes()
    # Nothing changed: nothing rewritten (keeps firmware builds incremental).
    assert write_frozen_package(entries, tmp_path) == []
    # A model dropped from the selection disappears from the package.
    write_frozen_package(entries[:1], tmp_path)
    assert not (package / "mlperf_sww.py").exists()


def test_small_variant_leaves_out_large_models(tmp_path):
    entries = list(CATALOG.values())
    write_frozen_variants(entries, tmp_path)
    names = {
        v: ast.literal_eval(
            ast.parse((tmp_path / v / "earshot_models" / "__init__.py").read_text()).body[0].value
        )
        for v in ("all", "small")
    }
    assert set(names["all"]) == set(CATALOG)
    assert set(names["small"]) == {e.name for e in entries if e.freeze != "large"}
    for name in names["small"]:
        assert (tmp_path / "small" / "earshot_models" / f"{name}.py").is_file()


def recipe_folder(tmp_path, toml: str, manifest: dict | None = None):
    folder = tmp_path / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "model.toml").write_text(toml)
    if manifest is not None:
        (folder / "m.json").write_text(json.dumps(manifest))
    return tmp_path


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('labels = ["a"]\n', "no `source`"),
        ('source = "m.tflite"\nfreeze = "sometimes"\n', "freeze must be one of"),
        ('source = "m.tflite"\nlabels = [\n', "model.toml"),
    ],
)
def test_bad_recipes_are_refused_by_name(tmp_path, toml, message):
    with pytest.raises(EarshotError, match=message):
        load_catalog(recipe_folder(tmp_path, toml))


def test_bad_folder_name_is_refused(tmp_path):
    folder = tmp_path / "models" / "Bad-Name"
    folder.mkdir(parents=True)
    (folder / "model.toml").write_text('source = "x.tflite"\n')
    with pytest.raises(EarshotError, match="lower_snake_case"):
        load_catalog(tmp_path)


def test_missing_source_file_is_named(tmp_path):
    catalog = load_catalog(recipe_folder(tmp_path, 'source = "gone.tflite"\n'))
    with pytest.raises(EarshotError, match="gone.tflite"):
        catalog["m"].convert()


def test_manifest_recipe_reaches_the_converter(tmp_path, monkeypatch):
    """A model.toml naming a manifest converts with the manifest's recipe; its own
    sections replace the manifest's."""
    seen = {}

    def fake_convert(data, *, name, **kw):
        seen.update(kw, name=name, data=data)
        return "converted"

    monkeypatch.setattr("earshot_host.catalog.convert_tflite", fake_convert)
    monkeypatch.setattr("earshot_host.esphome_manifest.input_frames", lambda data, path: (3, 40))
    manifest = {
        "type": "micro",
        "wake_word": "Hey Earshot",
        "model": "m.tflite",
        "version": 2,
        "micro": {"probability_cutoff": 0.9, "feature_step_size": 10, "sliding_window_size": 4},
    }
    toml = 'source = "m.tflite"\nmanifest = "m.json"\n[detector]\nrule = "average"\n'
    root = recipe_folder(tmp_path, toml, manifest)
    (root / "models" / "m" / "m.tflite").write_bytes(b"tflite bytes")
    assert load_catalog(root)["m"].convert() == "converted"
    assert seen["labels"] == ["Hey Earshot"]
    assert seen["frontend"]["hop_ms"] == 10 and seen["streaming"] == {"hops_per_inference": 3}
    assert seen["detector"] == {"rule": "average"}
    assert seen["data"] == b"tflite bytes"
