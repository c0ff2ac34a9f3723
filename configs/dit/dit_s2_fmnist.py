# Class-conditional DiT (~5 M parameters: width 192, 8 blocks) on cached f4 VQ-GAN latents of full Fashion-MNIST
# (64 tokens: the 8x8 latent grid with patch 1 — DiT-S/2's patch 2 would leave only 16 tokens). Needs the latent
# cache of the shipped f4 VQ-GAN: python tools/prepare.py CONFIG. Samples: python tools/sample.py CONFIG CKPT --num 100.
# bf16 autocast (0.60 s/iter on the 2-core CPU, fp32: 1.34; tools/benchmark.py): 3,000 iterations in ~30 minutes.
_base_ = [
    '../_base_/models/dit_vqf4.py',
    '../_base_/datasets/fmnist_vqf4_cache.py',
    '../_base_/schedules/adamw_const_2k.py',
    '../_base_/default_runtime.py',
]
model = dict(sampling=dict(cfg_scale=4.0))  # 82 % class consistency after 3,000 iterations (guidance 2: 67 %)
optim_wrapper = dict(type='AutocastOptimWrapper', dtype='bfloat16')
train_cfg = dict(max_iters=3000)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=200, end=3000),
]
val_dataloader = dict(dataset=dict(indices=2000))  # 2,000 test latents at fixed timesteps/noise
test_dataloader = val_dataloader
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=5e-3, update_buffers=True),  # averages over ~200 iterations
    dict(type='SampleVisHook', interval=1000, num_per_class=8),
]
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=6), logger=dict(interval=50))  # FID-vs-time
