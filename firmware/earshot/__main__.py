# `micropython -m earshot ARGS`: the always-on detector (earshot.cli holds the options;
# a board's raw REPL runs the same with `from earshot.cli import main; main([...])`).

import sys

from earshot.cli import main

# The Unix port gives `-m earshot` as argv[0]; everything after it is ours.
status = main(sys.argv[1:])
if status:
    sys.exit(status)
