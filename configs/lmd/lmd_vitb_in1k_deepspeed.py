# lmd_vitb_in1k.py with DeepSpeed ZeRO-2 in bf16. CUDA only, needs `pip install deepspeed`:
#   tools/dist_train.sh configs/lmd/lmd_vitb_in1k_deepspeed.py 8
_base_ = ['./lmd_vitb_in1k.py', '../_base_/strategies/deepspeed.py']
