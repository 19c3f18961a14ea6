#!/usr/bin/env bash
# The heavy oracle venv that regenerates this suite (never needed by `make test`):
#   tests/data/conformance/make_oracle_venv.sh            -> build/oracle-venv
#   PYTHONPATH=host_tools build/oracle-venv/bin/python -m earshot_host.conformance_gen \
#       --out tests/data/conformance [--only CASE,...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
venv="$root/build/oracle-venv"
test -x "$venv/bin/python" || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    tensorflow-cpu==2.21.0 ai-edge-litert==2.3.0 tflite==2.18.0 numpy==2.4.6
echo "oracle venv: $venv"
