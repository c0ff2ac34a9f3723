#!/usr/bin/env bash
# The GPU check on a machine without network (the lent H200: Python 3.12 with torch, timm, einops, numpy, pillow,
# matplotlib, opencv-python-headless, pyyaml and rich, but no mmengine or mmcv-lite).
#
#   bash tools/analysis/gpu_bundle.sh fetch [DIR]          here, with PyPI: the missing wheels into DIR (.whl, ~1.5 MB;
#                                                           ignored by git)
#   bash tools/analysis/gpu_bundle.sh run OUT [ARGS...]    there, from the repository root with DIR carried beside it:
#                                                           install the wheels into /tmp/site and run
#                                                           tools/analysis/gpu_check.py --out OUT ARGS (e.g. --quick)
#
# With the device tool: run(command='bash tools/analysis/gpu_bundle.sh run $OUT --quick', carry=['.whl']).
set -euo pipefail
cd "$(dirname "$0")/../.."
WHEELS=(mmengine==0.10.7 mmcv-lite==2.2.0 addict==2.4.0 yapf==0.43.0 platformdirs==4.14.9 termcolor==3.3.0)

case "${1:-}" in
fetch)
    dest=${2:-.whl}
    mkdir -p "$dest"
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version "${PYTHON_VERSION:-3.12}" \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any \
        -d "$dest" "${WHEELS[@]}"
    du -sh "$dest"
    ;;
run)
    out=${2:?usage: gpu_bundle.sh run OUT [gpu_check.py arguments]}
    shift 2
    dest=${WHEELS_DIR:-.whl}
    mkdir -p "$out"
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        "$dest"/*.whl
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
    PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 python3 tools/analysis/gpu_check.py --out "$out" "$@" 2>&1 |
        tee "$out/gpu_check.log"
    ;;
*)
    sed -n '2,11p' "$0"
    exit 2
    ;;
esac
