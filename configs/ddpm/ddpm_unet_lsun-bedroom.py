# Pixel-space DDPM on LSUN bedroom 256 (Ho et al., 2020; the LMD paper's Table 3 baseline), each setting from the
# official code (hojonathanho/diffusion scripts/run_lsun.py, diffusion_tf/): the 114 M-parameter U-Net (128 base
# channels x (1, 1, 2, 2, 4, 4), 2 residual blocks per level, attention at 16 px, one head, the timestep embedding
# added to the features, no dropout), linear betas 1e-4 -> 0.02 over 1000 steps, ε target with the plain MSE,
# fixed variance β̃_t ("fixedsmall", what the LSUN sampler uses), Adam lr 2e-5 with 5,000 warm-up steps, gradient
# clip 1, batch 64, random flips, EMA 0.9999; ancestral sampling over all 1000 steps. The official code trains and
# samples unconditionally.
#   tools/dist_train.sh configs/ddpm/ddpm_unet_lsun-bedroom.py 8     # 8 GPUs x 8 images
_base_ = ['../_base_/datasets/lsun_bedroom.py', '../_base_/default_runtime.py']
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    projector=dict(type='IdentityProjector', in_channels=3),  # pixel space
    denoiser=dict(type='UNet', input_size=256, in_channels=3, model_channels=128, channel_mult=(1, 1, 2, 2, 4, 4),
                  num_res_blocks=2, attention_resolutions=(16,), num_heads=1, dropout=0.0, num_classes=0,
                  learn_sigma=False, use_scale_shift_norm=False),  # fmt: skip
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    sampling=dict(sampler='ddpm', steps=1000, clip_denoised=True),
)
train_dataloader = dict(batch_size=8)
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-5), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=5000),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=5000, end=2_400_000),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2_400_000, val_interval=100_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-4, update_buffers=True),  # decay 0.9999
    dict(type='SampleVisHook', interval=100_000, num_per_class=16),
]
default_hooks = dict(checkpoint=dict(interval=50_000), logger=dict(interval=100))
