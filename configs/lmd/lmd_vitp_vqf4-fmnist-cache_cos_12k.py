# LMD's generative row of the Table 3 analogue: lmd_vitp_vqf4-fmnist-cache_cos.py in bf16 for 12,000 iterations
# (0.08 s/iter on the 2-core CPU: ~16 minutes, compared with dit_s2_fmnist.py / mdtv2_s2_fmnist.py checkpoints of
# the same training time), with its latent prior fitted before training so every checkpoint can sample
# (tools/sample.py CONFIG CKPT --num 300 --steps 10).
_base_ = ['./lmd_vitp_vqf4-fmnist-cache_cos.py']
optim_wrapper = dict(type='AutocastOptimWrapper', dtype='bfloat16')
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=300),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=300, end=12000, eta_min=1e-5),
]
train_cfg = dict(max_iters=12000, val_interval=2000)
custom_hooks = [
    dict(type='LatentPriorHook', num_samples=5000),
    dict(type='ReconstructionVisHook', interval=4000, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=3000, max_keep_ckpts=4))
