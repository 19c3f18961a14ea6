"""The models shipped in models/: their recipes, converted files and frozen modules.

Each models/<name>/ holds the source .tflite, model.toml (labels, front end, streaming and
detector defaults), the converted <name>.esm and MODEL.md. A wake-word model's model.toml
names its ESPHome manifest instead (`manifest = "okay_nabu.json"`): labels, front end,
stride and detector come from it (esphome_manifest.recipe), and any section model.toml
does give replaces the manifest's. The firmware build freezes the .esm files into a package
`earshot_models` with one module per model holding one bytes literal, so the model stays
in flash: DEST/all/ holds every model, DEST/small/ those without `freeze = "large"` (for
boards whose flash or RAM cannot take the large ones; models/manifest.py chooses).
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import esphome_manifest
from .convert import ConvertedModel, convert_tflite
from .errors import EarshotError
from .paths import project_root

FIGURES_BEGIN = "<!-- figures: written by `make models`, do not edit -->"
FIGURES_END = "<!-- /figures -->"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# freeze = "all": in every firmware; "large": only where models/manifest.py is included
# with large_models=True (the default).
FREEZE_VARIANTS = ("all", "large")


@dataclass(frozen=True)
class ModelEntry:
    """One folder of models/."""

    name: str
    folder: Path
    source: str
    labels: list[str] | None = None
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: str | None = None  # an ESPHome manifest beside the .tflite
    freeze: str = "all"  # "all" boards, or only those that take "large" models

    @property
    def source_path(self) -> Path:
        return self.folder / self.source

    @property
    def model_path(self) -> Path:
        return self.folder / f"{self.name}.esm"

    @property
    def doc_path(self) -> Path:
        return self.folder / "MODEL.md"

    def convert(self) -> ConvertedModel:
        """Convert the source .tflite with this recipe."""
        try:
            data = self.source_path.read_bytes()
        except OSError as err:
            raise EarshotError(f"model {self.name}: cannot read {self.source_path}: {err}") from err
        settings: dict[str, Any] = {"labels": self.labels}
        if self.manifest is not None:
            manifest = esphome_manifest.read_manifest(self.folder / self.manifest)
            settings = esphome_manifest.recipe(manifest, data)
            if self.labels is not None:
                settings["labels"] = self.labels
        for key in ("frontend", "streaming", "detector"):
            if key in self.sections:
                settings[key] = self.sections[key]
        return convert_tflite(data, name=self.name, **settings)


def load_catalog(root: Path | None = None) -> dict[str, ModelEntry]:
    """Every models/<name>/model.toml, by name."""
    models_dir = (root or project_root()) / "models"
    entries: dict[str, ModelEntry] = {}
    for recipe in sorted(models_dir.glob("*/model.toml")):
        name = recipe.parent.name
        if not NAME.match(name):
            raise EarshotError(f"{recipe}: model folder names must be lower_snake_case")
        try:
            table = tomllib.loads(recipe.read_text())
        except tomllib.TOMLDecodeError as err:
            raise EarshotError(f"{recipe}: {err}") from err
        if "source" not in table:
            raise EarshotError(f"{recipe}: no `source` (the .tflite to convert)")
        sections = {k: v for k, v in table.items() if isinstance(v, dict)}
        freeze = table.get("freeze", "all")
        if freeze not in FREEZE_VARIANTS:
            raise EarshotError(f"{recipe}: freeze must be one of {', '.join(FREEZE_VARIANTS)}")
        entries[name] = ModelEntry(
            name=name,
            folder=recipe.parent,
            source=table["source"],
            labels=table.get("labels"),
            sections=sections,
            manifest=table.get("manifest"),
            freeze=freeze,
        )
    return entries


def figures_markdown(converted: ConvertedModel) -> str:
    """The MODEL.md figures block: totals and the per-op table of the conversion report."""
    report = converted.report
    lines = [
        FIGURES_BEGIN,
        "",
        "| figure | value |",
        "|---|---:|",
        f"| MACs per inference | {report.total_macs:,} |",
        f"| parameters | {report.param_count:,} ({report.param_bytes:,} bytes) |",
        f"| arena (activations, planned) | {report.arena_bytes:,} bytes |",
        f"| flash (model file) | {report.flash_bytes:,} bytes |",
        "",
        "| # | op | output | MACs |",
        "|---:|---|---|---:|",
    ]
    for row in report.rows:
        output = "x".join(map(str, row.output_shape))
        lines.append(f"| {row.index} | {row.op} | {output} | {row.macs:,} |")
    lines += ["", FIGURES_END]
    return "\n".join(lines)


def replace_figures(doc: str, figures: str) -> str:
    """doc with its figures block replaced (appended if it has none)."""
    start, end = doc.find(FIGURES_BEGIN), doc.find(FIGURES_END)
    if start < 0 or end < start:
        return doc.rstrip("\n") + "\n\n" + figures + "\n"
    return doc[:start] + figures + doc[end + len(FIGURES_END) :]


def update_model(entry: ModelEntry) -> bool:
    """Reconvert one model; write .esm and MODEL.md figures if they changed."""
    converted = entry.convert()
    changed = False
    if not entry.model_path.exists() or entry.model_path.read_bytes() != converted.blob:
        entry.model_path.write_bytes(converted.blob)
        changed = True
    doc = entry.doc_path.read_text() if entry.doc_path.exists() else f"# {entry.name}\n"
    new_doc = replace_figures(doc, figures_markdown(converted))
    if new_doc != doc:
        entry.doc_path.write_text(new_doc)
        changed = True
    return changed


def bytes_literal(data: bytes, width: int = 96) -> str:
    """A Python bytes literal of data, split over lines inside parentheses."""
    body = "".join(f"\\x{b:02x}" for b in data)
    step = width - width % 4
    parts = [f'    b"{body[i : i + step]}"' for i in range(0, len(body), step)] or ['    b""']
    return "(\n" + "\n".join(parts) + "\n)"


# The model every image freezes, and runs when no model is named and no slot holds one.
DEFAULT_MODEL = "micro_speech"


def write_frozen_package(entries: Sequence[ModelEntry], dest: Path) -> list[Path]:
    """dest/earshot_models/: __init__.py naming the models, and <name>.py with MODEL = b"...".

    Files are rewritten only when their content changes, so firmware builds stay incremental.
    """
    package = dest / "earshot_models"
    package.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)

    names = tuple(e.name for e in entries)
    write(
        package / "__init__.py",
        "# Generated by earshot_host.catalog from models/. ALL: the models of this set;\n"
        "# NAMES: those this image holds (a board's manifest chooses: models/manifest.py),\n"
        "# found when first asked for, each model module imported and let go again;\n"
        "# DEFAULT: the one a board runs when no model slot holds a valid model (earshot.store).\n"
        f"ALL = {names!r}\nDEFAULT = {DEFAULT_MODEL!r}\n"
        "\n\n"
        "def _held(name):\n"
        "    import sys\n"
        "\n"
        '    if "earshot_models." + name in sys.modules:\n'
        "        return True\n"
        "    try:\n"
        '        __import__("earshot_models." + name)\n'
        "    except ImportError:\n"
        "        return False\n"
        '    sys.modules.pop("earshot_models." + name, None)\n'
        "    globals().pop(name, None)\n"
        "    return True\n"
        "\n\n"
        "def __getattr__(attr):\n"
        '    if attr == "NAMES":\n'
        "        names = tuple(n for n in ALL if _held(n))\n"
        '        globals()["NAMES"] = names\n'
        "        return names\n"
        "    raise AttributeError(attr)\n",
    )
    for entry in entries:
        if not entry.model_path.exists():
            raise EarshotError(f"model {entry.name}: {entry.model_path} is missing (`make models`)")
        write(
            package / f"{entry.name}.py",
            f"# Generated from models/{entry.name}/{entry.model_path.name}; frozen into flash.\n"
            f"MODEL = {bytes_literal(entry.model_path.read_bytes())}\n",
        )
    for stale in package.glob("*.py"):
        if stale.stem not in names and stale.name != "__init__.py":
            stale.unlink()
    return written


def write_frozen_variants(entries: Sequence[ModelEntry], dest: Path) -> list[Path]:
    """dest/all/earshot_models (every model) and dest/small/earshot_models (the models not
    marked freeze = "large"): models/manifest.py freezes one of them."""
    small = [e for e in entries if e.freeze != "large"]
    return write_frozen_package(entries, dest / "all") + write_frozen_package(small, dest / "small")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m earshot_host.catalog convert | freeze DEST`: used by the Makefile."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        entries = load_catalog()
        if args == ["convert"]:
            for entry in entries.values():
                state = "updated" if update_model(entry) else "up to date"
                print(f"earshot: model {entry.name}: {state}")
            return 0
        if len(args) == 2 and args[0] == "freeze":
            write_frozen_variants(list(entries.values()), Path(args[1]))
            return 0
    except EarshotError as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1
    print("usage: python -m earshot_host.catalog convert | freeze DEST", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
