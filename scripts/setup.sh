#!/usr/bin/env bash
# Creates .venv and installs the project with its test tools.
# Takes the local CPU build of torch when this machine has one (pip finds it by
# the pinned version), so a CPU-only machine does not download GBs of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
# A .venv left by an earlier try with a Python too old (pip refused the package) is made
# again: kept, it failed the same way whatever PYTHON named.
if [ -x .venv/bin/python ] && ! new_enough .venv/bin/python; then
  if new_enough "$PY"; then
    echo "setup: .venv has $(.venv/bin/python -V 2>&1), too old; making it again with $("$PY" -V 2>&1)"
    "$PY" -m venv --clear .venv
  fi
fi
if [ ! -x .venv/bin/python ] || ! new_enough .venv/bin/python; then
  if ! new_enough "$PY"; then
    echo "error: the editor needs Python 3.11 or newer; $PY is $("$PY" -V 2>&1 || echo missing)." \
         "Install one, then: PYTHON=python3.11 bash scripts/setup.sh" >&2
    exit 1
  fi
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! python -c "import torch" >/dev/null 2>&1; then
  # The CPU build first; if this machine cannot get it, the declared range decides.
  if [ "${VGPNN_CUDA:-0}" != "1" ]; then
    python -m pip install -q "torch==2.13.0" 2>/dev/null || true
  fi
fi
python -m pip install -q -e ".[test]"
# The editor's window needs system libraries pip cannot install (Qt's xcb plugin): name the
# install line when a display is present and some are missing. Never fails: a headless
# setup (CI, a server) needs none of them.
if [ -n "${DISPLAY:-}" ]; then
  python -c "import sys, main; sys.exit(main.report_missing_xcb())" || true
fi
