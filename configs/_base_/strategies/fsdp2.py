# Fully sharded data parallel with PyTorch's FSDP2 (lmdkit's FSDP2Strategy for MMEngine's FlexibleRunner):
# parameters, gradients and optimiser state sharded over the ranks, each transformer block its own unit. Runs on
# CUDA (NCCL) and on CPU (gloo), unlike FSDP1 (fsdp.py); on 2 CPU ranks it trains exactly like DDP. Checkpoints hold
# full state dicts (model and optimiser by parameter name) written by rank 0: they load without FSDP.
#   _base_ = ['../lmd/lmd_vitb_in1k.py', '../_base_/strategies/fsdp2.py']; tools/dist_train.sh CONFIG 8
strategy = dict(type='FSDP2Strategy', shard_modules=('Block', 'DiTBlock', 'MDTBlock'), reshard_after_forward=True)
