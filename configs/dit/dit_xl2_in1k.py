# DiT-XL/2 on ImageNet-1k 256x256 (Peebles & Xie): SD-VAE (ft-MSE) latents 32x32x4 x 0.18215, patch 2 -> 256
# tokens, 675 M parameters, AdamW 1e-4 without weight decay, batch 256 (8 GPUs x 32), EMA 0.9999, 400k iterations.
# Training latents are posterior samples, as DiT's and MDT's train.py take them (`.latent_dist.sample()`); validation
# scores the posterior mode, so every checkpoint sees the same latents.
#   tools/dist_train.sh configs/dit/dit_xl2_in1k.py 8
_base_ = [
    '../_base_/datasets/in1k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    projector=dict(type='AutoencoderKLProjector', scaling_factor=0.18215, sample_posterior=True,
                   checkpoint='checkpoints/sd-vae-ft-mse'),
    denoiser=dict(type='DiT', arch='XL', input_size=32, patch_size=2, in_channels=4, num_classes=1000,
                  class_dropout_prob=0.1, learn_sigma=True),
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    # the official sampling: guidance on the first 3 latent channels (what published FIDs use)
    sampling=dict(sampler='ddpm', steps=250, cfg_scale=1.5, guide_channels=3),
)
train_pipeline = [
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='Resize', scale=(10000, 256), keep_ratio=True, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=256),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# 256 images per optimiser step at any GPU count (lr and the 400k iterations are pinned: DiT does not scale lr)
recipe = dict(batch_size=256)
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))  # the largest per-rank batch
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline[:3] + [dict(type='PackInputs')],
                                                  indices=10_000))  # fmt: skip
test_dataloader = val_dataloader
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='AutocastOptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=1e-4, weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=400_000)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400_000, val_interval=50_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-4, update_buffers=True),
    dict(type='SampleVisHook', interval=50_000, num_per_class=1, classes=[88, 207, 279, 360, 387, 388, 417, 979]),
]
default_hooks = dict(checkpoint=dict(interval=50_000), logger=dict(interval=100))
prerequisites = dict(
    sd_vae=dict(key='model.projector.checkpoint', manual='Fetch stabilityai/sd-vae-ft-mse here (docs/model_zoo.md)'),
)
