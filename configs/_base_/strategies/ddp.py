# DDP through MMEngine's FlexibleRunner (tools/train.py uses it whenever a config has `strategy`). The same as
# training without a strategy, but the route FSDP and DeepSpeed take; runs on CPU (gloo) and CUDA (nccl).
#   tools/dist_train.sh CONFIG 2
strategy = dict(type='DDPStrategy')  # train.py adds the CPU-safe DDP wrapper
