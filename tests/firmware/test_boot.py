"""Every target boots, imports earshot and reports what it was built with."""

from __future__ import annotations

import earshot_host


def built_with_ulab(root, target) -> bool:
    # The build links each user C module into build/<target>/usercmodules/.
    return (root / "build" / target.name / "usercmodules" / "ulab").exists()


def test_import_earshot_reports_build(target, root):
    info = target.eval("earshot.info()", setup="import earshot")
    assert info["version"] == earshot_host.__version__
    assert info["platform"] == ("linux" if target.board.kind == "unix" else "qemu")
    assert info["cmodule"] is True
    assert info["kernels"] in ("reference", "optimized")
    assert info["ulab"] is built_with_ulab(root, target)
    if target.board.kind == "qemu":
        assert target.board.machine in info["machine"]


def test_banner_names_version_and_features(target):
    out = target.exec("import earshot\nprint(earshot.banner())")
    assert out.startswith(f"earshot {earshot_host.__version__} on ")
    assert "C module yes" in out


def test_ulab_numpy_present_exactly_when_built_in(target, root):
    code = (
        "try:\n"
        "    from ulab import numpy as np\n"
        "    print(np.sum(np.array([1, 2, 3])))\n"
        "except ImportError:\n"
        "    print('absent')"
    )
    out = target.exec(code).strip()
    assert out == ("6.0" if built_with_ulab(root, target) else "absent")


def test_failing_snippet_returns_target_traceback(target):
    result = target.run("def f():\n    return 1 // 0\nf()")
    assert not result.ok
    assert "Traceback (most recent call last)" in result.error
    assert "ZeroDivisionError" in result.error
    # The harness shows the target's own traceback in the pytest report.
    import pytest

    with pytest.raises(pytest.fail.Exception, match="ZeroDivisionError"):
        target.exec("1 // 0")


def test_target_keeps_working_after_an_error(target):
    target.run("raise ValueError('boom')")
    assert target.exec("print(6 * 7)").strip() == "42"


def test_heap_matches_board_table(target):
    # QEMU boards are built with the heap of the real part they stand for.
    if target.board.kind != "qemu":
        assert target.board.heap_bytes == 0
        return
    total = target.eval("gc.mem_free() + gc.mem_alloc()", setup="import gc\ngc.collect()")
    heap = target.board.heap_bytes
    # The GC keeps its allocation tables inside the heap: about 1/17 of it.
    assert heap * 0.9 < total <= heap
