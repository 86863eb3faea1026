#!/usr/bin/env bash
# Sets up .venv (see setup.sh) and runs the linter and the whole test suite, headless.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export QT_QPA_PLATFORM=offscreen
ruff check .
python -m pytest -q "$@"
