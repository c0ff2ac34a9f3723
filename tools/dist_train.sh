#!/usr/bin/env bash
# Distributed training with torchrun: tools/dist_train.sh CONFIG NUM_PROCS_PER_NODE [train.py args]
# One process per GPU; on a machine without CUDA, NUM_PROCS CPU processes talk over gloo.
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT from the environment; PYTHON picks the interpreter.
# On one machine without PORT, torchrun's --standalone rendezvous takes a free port.
set -euo pipefail
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$NNODES" = 1 ] && [ -z "${PORT:-}" ]; then
    # one machine: torchrun picks a free port, so two jobs on one host never collide on 29500
    RENDEZVOUS=(--standalone)
else
    RENDEZVOUS=(--nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" --master_port="${PORT:-29500}")
fi

PYTHONPATH="$HERE/..:${PYTHONPATH:-}" \
"${PYTHON:-python}" -m torch.distributed.run \
    "${RENDEZVOUS[@]}" \
    --nproc_per_node="$NPROC" \
    "$HERE/train.py" "$CONFIG" --launcher pytorch "${@:3}"
