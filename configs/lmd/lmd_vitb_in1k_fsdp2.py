# lmd_vitb_in1k.py with FSDP2 (parameters, gradients and optimiser state sharded over the ranks, one unit per ViT
# block; full checkpoints written by rank 0). GPUs or CPU processes:  tools/dist_train.sh configs/lmd/lmd_vitb_in1k_fsdp2.py 8
_base_ = ['./lmd_vitb_in1k.py', '../_base_/strategies/fsdp2.py']
