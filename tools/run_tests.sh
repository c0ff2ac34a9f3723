#!/usr/bin/env bash
# Install lmdkit with its test extras into ./.venv (if needed), lint, and run the whole test suite
# (slow end-to-end tests included; `-m "not slow"` as an argument skips them). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
# a failed install fails the run (pipefail), so reference-equality tests cannot silently lose their reference
# packages; only grep's "nothing left to print" status is ignored
quiet() { grep -v -E '^(WARNING: Location|$)' || true; }
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[tests]' 2>&1 | quiet
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements/tests-nodeps.txt 2>&1 | quiet
.venv/bin/ruff check lmdkit tools tests configs
.venv/bin/ruff format --check lmdkit tools tests
.venv/bin/python -m pytest tests -q -rs "$@"  # -rs: every skip says why
