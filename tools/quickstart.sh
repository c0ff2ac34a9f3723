#!/usr/bin/env bash
# Install lmdkit into ./.venv (if needed) and train the quick-start LMD model on the embedded Fashion-MNIST
# subset: ~1 minute of training on 2 CPU cores. Outputs land in WORK_DIR (default work_dirs/quickstart).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK_DIR=${1:-work_dirs/quickstart}
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e . 2>&1 | grep -v -E '^(WARNING: Location|$)' || true
.venv/bin/python tools/train.py configs/lmd/lmd_vitp_fmnist-mini_cos.py --work-dir "$WORK_DIR"
echo "done: $WORK_DIR/{summary.json,train_record.jsonl,curves.png,reconstruction.png,iter_600.pth}"
