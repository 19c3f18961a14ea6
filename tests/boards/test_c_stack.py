"""The C stack on the boards: earshot's kernels keep up to ~7 KB of scratch on it, below
the Python code that calls them, where MicroPython's stack check (MICROPY_STACK_CHECK,
run at Python calls) cannot see them. Each QEMU board lowers the limit Python may reach by
the kernels' reserve (EARSHOT_KERNEL_STACK_BYTES, firmware/config/qemu_board_hooks.h), so
every model runs from the deepest Python call the check allows. On qemu_m33 the core's
stack limit register (MSPLIM) marks the stack's end: there, running past it would fault.

What MicroPython's checks catch, measured: Python recursion past the limit, as a clean
RuntimeError. What they do not: the kernels themselves. With too little stack below the
caller (MSPLIM moved up to 1 KiB under it), the board faults inside the kernels (on a core
without a stack limit register it would overwrite what lies below the stack instead)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# Every frozen model the board's heap can hold, invoked from the deepest Python call the
# stack check allows; the outputs must equal those of the same invocation near the top.
DEEP = """
import earshot, earshot_models, gc, micropython
results = {}
def fresh(name):
    # A new model each time (stateful models start from the same state), made near the
    # top of the stack, where the heap is not cut up by the recursion's exceptions.
    gc.collect()
    return earshot.Model.frozen(name)
def run(model):
    model.invoke()
    return bytes(model.output)
def deepest(n, model):
    try:
        return deepest(n + 1, model)
    except RuntimeError:  # maximum recursion depth: the limit is here
        return n, micropython.stack_use(), run(model)
for name in earshot_models.NAMES:
    try:
        model = fresh(name)
    except (MemoryError, ValueError):
        continue  # the arena does not fit this board's heap (refused with the bytes needed)
    depth, used, deep = deepest(0, model)
    model = None
    shallow = run(fresh(name))
    results[name] = (depth, used, deep == shallow)
"""

# Raw Thumb-2 for the stack pointer and MSPLIM (Armv8-M), through the inline assembler.
GUARD = """
@micropython.asm_thumb
def sp():
    mov(r0, sp)
@micropython.asm_thumb
def set_msplim(r0):
    data(2, 0xF380, 0x880A)  # msr msplim, r0
"""


def board_value(root: Path, name: str, key: str) -> int:
    text = (root / "boards" / name / "mpconfigboard.mk").read_text()
    match = re.search(rf"^{key}\s*=\s*(\d+)\s*$", text, re.MULTILINE)
    assert match, f"boards/{name}/mpconfigboard.mk sets no {key}"
    return int(match.group(1))


@pytest.mark.kinds("qemu")
def test_every_model_runs_from_the_deepest_python_call(target, root):
    results = target.eval("results", setup=DEEP, timeout=600)
    assert "micro_speech" in results
    name = target.board.name
    limit = board_value(root, name, "EARSHOT_C_STACK_BYTES") - board_value(
        root, name, "EARSHOT_KERNEL_STACK_BYTES"
    )
    for model, (depth, used, same) in results.items():
        assert same, f"{model}: output differs when invoked at the stack limit"
        # The recursion really reached the limit the board sets (within one level of it:
        # a Python call with a try block takes up to ~1 KB of C stack here).
        assert limit - 1200 <= used <= limit, (model, used, limit)
        assert depth > 5


@pytest.mark.kinds("qemu")
def test_python_recursion_past_the_limit_is_a_clean_error(target):
    code = """
def f(n):
    return f(n + 1)
try:
    f(0)
    outcome = 'no error'
except RuntimeError as err:
    outcome = str(err)
"""
    assert target.eval("outcome", setup=code) == "maximum recursion depth exceeded"


@pytest.mark.kinds("qemu")
def test_too_little_stack_below_the_caller_faults_in_the_kernels(target):
    if not target.board.core.startswith("cortex-m33"):
        pytest.skip(f"{target.board.core} has no stack limit register (MSPLIM is Armv8-M)")
    code = (
        GUARD
        + """
import earshot
m = earshot.Model.frozen('micro_speech')
m.invoke()                      # fine with the board's stack
set_msplim(sp() - 1024)         # now 1 KiB below the caller: less than the kernels need
m.invoke()
print('survived')
"""
    )
    result = target.run(code, timeout=30)
    assert "survived" not in result.output
    assert "stopped answering" in result.error  # a fault, not a Python exception
    # Booted again, with the board's own limit, the same steps run.
    again = target.run(GUARD + "import earshot\nearshot.Model.frozen('micro_speech').invoke()\n")
    assert again.ok, again.error
