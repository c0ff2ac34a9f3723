# Latent diffusion on LSUN bedroom 256x256 with an ADM U-Net (an LDM-style latent baseline, not one of LMD's Table 3
# pixel-space DDPM/iDDPM/DDIM rows): SD-VAE
# (ft-MSE) latents 32x32x4 x 0.18215, unconditional, 224 base channels with multipliers 1-2-3-4, attention at
# 16/8/4 latent resolutions, linear betas over 1000 steps, ε target, AdamW 1e-4, EMA 0.9999.
#   tools/dist_train.sh configs/ldm/ldm_unet_lsun-bedroom.py 8
_base_ = [
    '../_base_/datasets/lsun_bedroom.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    projector=dict(type='AutoencoderKLProjector', scaling_factor=0.18215, checkpoint='checkpoints/sd-vae-ft-mse'),
    denoiser=dict(type='UNet', input_size=32, in_channels=4, model_channels=224, channel_mult=(1, 2, 3, 4),
                  num_res_blocks=2, attention_resolutions=(16, 8, 4), num_heads=8, num_classes=0,
                  learn_sigma=False),  # fmt: skip
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    sampling=dict(sampler='ddim', steps=200, eta=0.0),
)
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='AutocastOptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=1e-4, weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=500_000)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=500_000, val_interval=50_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-4, update_buffers=True),
    dict(type='SampleVisHook', interval=50_000, num_per_class=16),
]
default_hooks = dict(checkpoint=dict(interval=50_000), logger=dict(interval=100))
prerequisites = dict(
    sd_vae=dict(key='model.projector.checkpoint', manual='Fetch stabilityai/sd-vae-ft-mse here (docs/model_zoo.md)'),
)
