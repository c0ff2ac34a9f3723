# Pixel-space DDPM on full Fashion-MNIST (32 px, 1 channel): the analogue of the LMD paper's Table 3 pixel baselines
# at CPU size. DDPM's design (timestep embedding added to the features, one attention head, linear betas over 1000
# steps, ε target, fixed small variance) on a 32-px U-Net of 64 base channels x (1, 2, 2) with attention at 8 px,
# class-conditional like the other Fashion-MNIST generators so that FID-FMNIST and class consistency compare;
# 2,000 iterations of batch 128 with AdamW 3e-4 (configs/_base_/schedules/adamw_const_2k.py) and EMA.
#   python tools/train.py configs/ddpm/ddpm_unet_fmnist.py
#   python tools/eval_gen.py work_dirs/ddpm_unet_fmnist --num 2000
_base_ = [
    '../_base_/datasets/fmnist.py',
    '../_base_/schedules/adamw_const_2k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
    projector=dict(type='IdentityProjector', in_channels=1),
    denoiser=dict(type='UNet', input_size=32, in_channels=1, model_channels=64, channel_mult=(1, 2, 2),
                  num_res_blocks=2, attention_resolutions=(4,), num_heads=1, num_classes=10, class_dropout_prob=0.1,
                  learn_sigma=False, use_scale_shift_norm=False),  # fmt: skip
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    sampling=dict(sampler='ddpm', steps=1000, cfg_scale=2.0, clip_denoised=True),
)
optim_wrapper = dict(type='AutocastOptimWrapper', dtype='bfloat16')
val_dataloader = dict(dataset=dict(indices=2000))  # 2,000 test images at fixed timesteps/noise
test_dataloader = val_dataloader
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=5e-3, update_buffers=True),
    dict(type='SampleVisHook', interval=1000, num_per_class=8),
]
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=4), logger=dict(interval=50))
