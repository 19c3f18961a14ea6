"""Host model specs: what a user may name wherever a command takes a model, resolved once.

A spec is one of
- a name of models/ (``okay_nabu``): the committed .esm, frozen into the firmware;
- an earshot model file (``.esm``);
- a ``.tflite``, converted on the fly; when an ESPHome manifest ``<stem>.json`` lies beside
  it, the manifest's recipe (labels, front end, stride, detector) goes into the file;
- an ESPHome microWakeWord manifest (``.json``): the ``.tflite`` it names, beside it,
  converted with the manifest's recipe (esphome_manifest.recipe).

``resolve_model(spec)`` gives a ModelSource: the name, whether the firmware has it frozen,
the model file bytes and their metadata. ``convert_spec(spec)`` gives the conversion
(bytes + report) for ``earshot convert``. Every command calls these, none repeats them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import load_catalog
from .convert import ConvertedModel, convert_tflite
from .errors import EarshotError
from .esphome_manifest import WakeWordManifest, read_manifest, recipe
from .modelfile import read_model


@dataclass(frozen=True)
class ModelSource:
    """Where the target gets the model from: a frozen module, or bytes sent to it."""

    name: str
    frozen: bool
    blob: bytes  # the model file (for a frozen model: the copy in models/)
    input_shapes: list[tuple[int, ...]] = field(init=False)
    output_shapes: list[tuple[int, ...]] = field(init=False)
    input_dtypes: list[np.dtype] = field(init=False)
    output_dtypes: list[np.dtype] = field(init=False)
    metadata: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Read (and check) the file once; a broken one is refused here, with the reason.
        model = read_model(self.blob)
        for name, indices in (("input_dtypes", model.inputs), ("output_dtypes", model.outputs)):
            dtypes = [np.dtype(model.tensors[i].dtype.numpy_name) for i in indices]
            object.__setattr__(self, name, dtypes)
        object.__setattr__(
            self, "input_shapes", [tuple(model.tensors[i].shape) for i in model.inputs]
        )
        object.__setattr__(
            self, "output_shapes", [tuple(model.tensors[i].shape) for i in model.outputs]
        )
        object.__setattr__(self, "metadata", model.metadata)

    @property
    def crc(self) -> int:
        return zlib.crc32(self.blob)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise EarshotError(f"cannot read {path}: {err.strerror}") from err


def manifest_beside(tflite: Path) -> WakeWordManifest | None:
    """The ESPHome manifest <stem>.json beside a .tflite, if there is one that names it."""
    path = tflite.with_suffix(".json")
    if not path.is_file():
        return None
    manifest = read_manifest(path)
    if manifest.model != tflite.name:
        raise EarshotError(f"{path} describes {manifest.model}, not {tflite.name}")
    return manifest


def convert_manifest(manifest: WakeWordManifest, name: str | None = None) -> ConvertedModel:
    """The manifest's .tflite converted with its recipe (labels, front end, detector)."""
    data = _read(manifest.model_path)
    return convert_tflite(data, name=name or manifest.name, **recipe(manifest, data))


def convert_spec(
    spec: str | Path, *, name: str | None = None, labels: list[str] | None = None
) -> ConvertedModel:
    """Convert what a spec names: a .tflite (with its manifest beside it, if any), a
    manifest .json, or a model of models/ (its recipe). name / labels override the
    defaults (a .tflite without a manifest takes both; labels do not apply to manifests,
    whose label is the wake word)."""
    path = Path(spec)
    if path.suffix == ".json":
        _no_labels(labels, path)
        return convert_manifest(read_manifest(path), name)
    if path.suffix == ".tflite":
        manifest = manifest_beside(path)
        if manifest is not None:
            _no_labels(labels, manifest.path)
            return convert_manifest(manifest, name or path.stem)
        return convert_tflite(_read(path), name=name or path.stem, labels=labels)
    if path.suffix == ".esm":
        raise EarshotError(f"{path} is already an earshot model")
    catalog = load_catalog()
    if str(spec) in catalog:
        if name or labels:
            raise EarshotError("--name and --labels are for .tflite models; models/ has both")
        return catalog[str(spec)].convert()
    raise _unknown(spec, catalog)


def _no_labels(labels: list[str] | None, manifest: Path) -> None:
    if labels:
        raise EarshotError(f"{manifest}: a wake-word model's label is its wake word; no --labels")


def _unknown(spec: str | Path, catalog: dict[str, Any]) -> EarshotError:
    return EarshotError(
        f"model {str(spec)!r}: not a .esm, .tflite or ESPHome manifest .json, nor a model of "
        f"models/ ({', '.join(sorted(catalog))})"
    )


def resolve_model(spec: str | Path) -> ModelSource:
    """The model a spec names (see the module's doc), as the target gets it."""
    path = Path(spec)
    if path.suffix == ".esm":
        return ModelSource(path.stem, False, _read(path))
    if path.suffix in (".tflite", ".json"):
        converted = convert_spec(path)
        return ModelSource(str(converted.model.metadata.get("name", path.stem)), False,
                           converted.blob)  # fmt: skip
    catalog = load_catalog()
    entry = catalog.get(str(spec))
    if entry is None:
        raise _unknown(spec, catalog)
    return ModelSource(entry.name, True, _read(entry.model_path))
