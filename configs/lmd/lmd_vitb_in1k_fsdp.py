# lmd_vitb_in1k.py with FSDP (parameters, gradients and optimiser state sharded over the GPUs; full checkpoints
# gathered on rank 0). CUDA only:  tools/dist_train.sh configs/lmd/lmd_vitb_in1k_fsdp.py 8
_base_ = ['./lmd_vitb_in1k.py', '../_base_/strategies/fsdp.py']
