"""models/: every recipe converts to the committed .esm, MODEL.md figures are current, and
the frozen package holds the exact model bytes."""

from __future__ import annotations

import ast

import pytest

from earshot_host.catalog import figures_markdown, load_catalog, write_frozen_package
from earshot_host.modelfile import read_model

CATALOG = load_catalog()


def test_catalog_has_the_shipped_models():
    assert {"micro_speech", "mlperf_kws", "mlperf_sww"} <= set(CATALOG)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_committed_model_is_the_conversion_of_its_recipe(name):
    entry = CATALOG[name]
    converted = entry.convert()
    assert entry.model_path.read_bytes() == converted.blob, "run `make models`"
    assert figures_markdown(converted) in entry.doc_path.read_text(), "run `make models`"


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_model_doc_states_provenance_and_licence(name):
    doc = CATALOG[name].doc_path.read_text()
    assert "**Provenance.**" in doc
    assert "**Licence:**" in doc
    assert CATALOG[name].source in doc


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_labels_match_model_outputs(name):
    entry = CATALOG[name]
    model = read_model(entry.model_path.read_bytes())
    assert model.metadata["name"] == name
    assert model.metadata["labels"] == (entry.labels or [])


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
