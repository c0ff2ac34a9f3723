# Fully sharded data parallel (PyTorch FSDP through MMEngine's FSDPStrategy): parameters, gradients and optimiser
# state sharded across ranks; modules above 10 M parameters wrapped as their own FSDP units. CUDA only (PyTorch's
# FSDP refuses CPU modules; tools/train.py says so before building anything). Checkpoints: full state dicts
# gathered on rank 0, so they load without FSDP (tools/sample.py, fine-tuning).
#   _base_ = ['../lmd/lmd_vitb_in1k.py', '../_base_/strategies/fsdp.py']; tools/dist_train.sh CONFIG 8
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy', min_num_params=10**7),
    ),
    state_dict_cfg='full',
)
