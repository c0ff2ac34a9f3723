# A quick class-conditional DiT in pixel space on the embedded Fashion-MNIST subset: 32x32 images, patch 4 -> 64
# tokens, DiT-pico (128 wide, 4 blocks), 600 iterations (a couple of minutes on 2 CPU cores). Too short for good
# samples; it shows the pipeline: EMA weights, a fixed-draw validation loss, sample grids (samples.png).
_base_ = [
    '../_base_/datasets/fmnist_mini.py',
    '../_base_/schedules/adamw_cos_600it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
    projector=dict(type='IdentityProjector', in_channels=1),
    denoiser=dict(type='DiT', arch='p', input_size=32, patch_size=4, in_channels=1, num_classes=10,
                  class_dropout_prob=0.1, learn_sigma=True),  # fmt: skip
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    sampling=dict(sampler='ddim', steps=50, cfg_scale=2.0),
)
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-2, update_buffers=True),
    dict(type='SampleVisHook', interval=0, num_per_class=8),
]
default_hooks = dict(checkpoint=dict(interval=200))
