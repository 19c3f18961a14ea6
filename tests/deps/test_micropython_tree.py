"""firmware/deps/micropython.sh checks the tree's content, not only its version line: a
tree with a changed or missing file is fetched again, a fetched tree whose content is not
the pinned one is refused, and a good tree is never deleted before its replacement is
complete. The source is a local git repository standing for the upstream tag (the pins
are overridden through the environment, as common.sh allows)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

UNREACHABLE = "http://127.0.0.1:9"
SCOPE = "py,ports/unix,lib/cmsis"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def digest(tree: Path, scope: str = SCOPE) -> str:
    """The content digest, computed here independently of the script: SHA-256 of the
    `sha256sum` lines of every file of the scope folders, sorted by path."""
    lines = []
    for rel in scope.split(","):
        for path in sorted((tree / rel).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
                rel_path = path.relative_to(tree).as_posix()
                lines.append((rel_path.encode(), f"{sha}  {rel_path}\n"))
    text = "".join(line for _, line in sorted(lines))
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def upstream(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git repository with a v1.25.0 tag, and the environment that pins it."""
    repo = tmp_path / "upstream"
    for rel, text in {
        "py/runtime.c": "int runtime;\n",
        "py/sub/gc.c": "int gc;\n",
        "ports/unix/main.c": "int main(void) { return 0; }\n",
        "lib/cmsis/inc/core.h": "#define CORE 1\n",
        "docs/README": "outside the scope\n",
    }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo.parent, "init", "-q", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tree")
    git(repo, "tag", "v1.25.0")
    env = {
        "MICROPYTHON_VERSION": "1.25.0",
        "MICROPYTHON_GIT_URL": f"file://{repo}",
        "MICROPYTHON_GIT_COMMIT": git(repo, "rev-parse", "HEAD"),
        "MICROPYTHON_TREE_SCOPE": SCOPE,
        "MICROPYTHON_TREE_SHA256": digest(repo),
        "DEBIAN_MIRROR": f"{UNREACHABLE}/debian",
    }
    return repo, env


def fetch(root: Path, dest: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(root / "firmware" / "deps" / "micropython.sh"), str(dest)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )


def test_the_pinned_digest_is_the_digest_of_its_scope(root):
    # The script's digest and this test's agree on a real tree: the pin is what they say.
    pins = dict(
        line.split("=", 1)
        for line in (root / "firmware/deps/versions.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    tree = root / "build" / "deps" / "micropython"
    if not (tree / ".earshot-source").is_file():
        pytest.skip("no pinned MicroPython tree in build/deps (run `make deps`)")
    assert digest(tree, pins["MICROPYTHON_TREE_SCOPE"]) == pins["MICROPYTHON_TREE_SHA256"]


def test_a_changed_tree_is_fetched_again(root, tmp_path, upstream):
    repo, env = upstream
    dest = tmp_path / "micropython"
    first = fetch(root, dest, env)
    assert first.returncode == 0, first.stderr
    assert (dest / "py/runtime.c").read_text() == "int runtime;\n"
    stamp = (dest / ".earshot-source").read_text()
    assert "content sha256 " + env["MICROPYTHON_TREE_SHA256"] in stamp
    # Nothing changed: nothing fetched, nothing said.
    again = fetch(root, dest, env)
    assert again.returncode == 0 and again.stderr == ""
    # A changed file (the version line still says 1.25.0): detected and replaced.
    (dest / "py/runtime.c").write_text("int runtime = 1;\n")
    fixed = fetch(root, dest, env)
    assert fixed.returncode == 0, fixed.stderr
    assert "does not match the pin" in fixed.stderr
    assert (dest / "py/runtime.c").read_text() == "int runtime;\n"
    # A missing file: the same.
    (dest / "py/sub/gc.c").unlink()
    assert fetch(root, dest, env).returncode == 0
    assert (dest / "py/sub/gc.c").is_file()
    # Files outside the scope (docs, build output) do not count.
    (dest / "docs/README").write_text("edited\n")
    assert fetch(root, dest, env).stderr == ""
    assert not list(tmp_path.glob("micropython.*"))  # no leftovers beside the tree


def test_a_failed_fetch_keeps_the_old_tree(root, tmp_path, upstream):
    repo, env = upstream
    dest = tmp_path / "micropython"
    assert fetch(root, dest, env).returncode == 0
    (dest / "py/runtime.c").write_text("damaged\n")
    offline = {**env, "MICROPYTHON_GIT_URL": f"{UNREACHABLE}/micropython.git"}
    proc = fetch(root, dest, offline)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("earshot deps: error: cannot get MicroPython 1.25.0")
    assert f"the tree at {dest} is left as it was" in last
    assert (dest / "py/runtime.c").read_text() == "damaged\n"
    assert (dest / "ports/unix/main.c").is_file()


def test_a_fetched_tree_with_other_content_is_refused(root, tmp_path, upstream):
    repo, env = upstream
    dest = tmp_path / "micropython"
    proc = fetch(root, dest, {**env, "MICROPYTHON_TREE_SHA256": "0" * 64})
    assert proc.returncode == 1
    assert "refusing to build from it" in proc.stderr.strip().splitlines()[-1]
    assert not dest.exists() and not list(tmp_path.glob("micropython.*"))
