# LMD in pixel space on the full Fashion-MNIST (apt-get install -y dataset-fashion-mnist), cosine schedule,
# 64 tokens (32 px, patch 4): the "w/o LSP" counterpart of lmd_vitp_vqf4-fmnist_cos.py.
_base_ = [
    '../_base_/models/lmd_vitp_p4_32px.py',
    '../_base_/datasets/fmnist.py',
    '../_base_/schedules/adamw_cos_6k.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=2000, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))
