"""README.md's benchmark figures are rendered from docs/bench.json (by `make bench`), not
typed: each marked block equals its rendering, and a block edited by hand is found."""

from __future__ import annotations

import json

import pytest

from earshot_host.bench.render import README_BLOCKS, readme_markers, render_readme
from earshot_host.errors import EarshotError


def test_readme_figures_are_the_rendering_of_bench_json(root):
    data = json.loads((root / "docs" / "bench.json").read_text())
    readme = (root / "README.md").read_text()
    assert render_readme(readme, data) == readme, "run `python -m earshot_host.bench --render-only`"


def test_a_typed_figure_or_a_lost_marker_is_caught(root):
    data = json.loads((root / "docs" / "bench.json").read_text())
    readme = (root / "README.md").read_text()
    begin, end = readme_markers("kernels")
    block = readme[readme.index(begin) : readme.index(end)]
    typed = readme.replace(block, block.replace("| micro_speech | ", "| micro_speech | 1.00 | ", 1))
    assert render_readme(typed, data) == readme  # the rendering puts bench.json's back
    for name in README_BLOCKS:
        lost = readme.replace(readme_markers(name)[1], "")
        with pytest.raises(EarshotError, match="has no"):
            render_readme(lost, data)
