"""`make bench`: deterministic benchmarks of earshot on the Unix port (callgrind) and the
QEMU boards (instruction counts under `-icount shift=0`), written to build/bench.json and
rendered into docs/BENCHMARKS.md and docs/bench.png. See docs/BENCHMARKS.md."""
