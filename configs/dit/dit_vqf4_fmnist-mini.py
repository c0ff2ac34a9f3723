# Latent diffusion out of the box: class-conditional DiT-pico (width 128, 4 blocks, patch 1 on the 8x8x4 latents)
# on the embedded Fashion-MNIST subset, encoded on the fly by the f4 VQ-GAN shipped with lmdkit; 600 iterations,
# EMA, a fixed-draw validation loss and a sample grid per class (samples.png). Needs no prior step. Too short for
# good samples: the full-data run is dit_s2_fmnist.py (width 192, 8 blocks, 3,000 iterations on cached latents).
_base_ = [
    '../_base_/models/dit_vqf4.py',
    '../_base_/datasets/fmnist_mini.py',
    '../_base_/schedules/adamw_cos_600it.py',
    '../_base_/default_runtime.py',
]
model = dict(denoiser=dict(arch='p', hidden_size=128, depth=4, num_heads=4), sampling=dict(cfg_scale=4.0))
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.0))
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-2, update_buffers=True),
    dict(type='SampleVisHook', interval=0, num_per_class=8),
]
default_hooks = dict(checkpoint=dict(interval=200))
