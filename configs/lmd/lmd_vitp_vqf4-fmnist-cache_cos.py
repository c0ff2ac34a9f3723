# lmd_vitp_vqf4-fmnist_cos.py on cached latents: the same, with one _base_ changed (the dataset).
_base_ = [
    '../_base_/models/lmd_vitp_vqf4.py',
    '../_base_/datasets/fmnist_vqf4_cache.py',
    '../_base_/schedules/adamw_cos_6k.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=2000, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))
