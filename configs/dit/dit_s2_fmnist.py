# Class-conditional DiT (~5 M parameters: width 192, 8 blocks) on cached f4 VQ-GAN latents of full Fashion-MNIST
# (64 tokens: the 8x8 latent grid with patch 1 — DiT-S/2's patch 2 would leave only 16 tokens). Needs the f4
# VQ-GAN and its latent cache (docs/projectors.md). Samples: python tools/sample.py CONFIG CKPT --num 100.
_base_ = [
    '../_base_/models/dit_vqf4.py',
    '../_base_/datasets/fmnist_vqf4_cache.py',
    '../_base_/schedules/adamw_const_2k.py',
    '../_base_/default_runtime.py',
]
val_dataloader = dict(dataset=dict(indices=2000))  # 2,000 test latents at fixed timesteps/noise
test_dataloader = val_dataloader
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='TrainRecordHook'),
    dict(type='EMAHook', momentum=1e-3, update_buffers=True),
    dict(type='SampleVisHook', interval=1000, num_per_class=8),
]
default_hooks = dict(checkpoint=dict(interval=500), logger=dict(interval=50))
