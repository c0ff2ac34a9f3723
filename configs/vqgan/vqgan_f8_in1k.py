# VQGAN f8 on ImageNet-1k at 256 px for real hardware (LDM's vq-f8 settings: 16384 codes of width 4,
# ch 128 x (1, 2, 2, 4), 2 residual blocks, attention at 32 px), hinge PatchGAN from iteration 50k.
# 8 GPUs x 12 images:  tools/dist_train.sh configs/vqgan/vqgan_f8_in1k.py 8
# Add a perceptual term with model.perceptual_loss once LPIPS weights are available locally.
_base_ = ['../_base_/datasets/in1k.py', '../_base_/default_runtime.py']
model = dict(
    type='Autoencoder',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    projector=dict(
        type='VQGANProjector',
        in_channels=3,
        z_channels=4,
        embed_dim=4,
        num_codes=16384,
        ch=128,
        ch_mult=(1, 2, 2, 4),
        num_res_blocks=2,
        attn_resolutions=(32,),
        resolution=256,
        beta=0.25,
        restart_every=1000,
    ),
    discriminator=dict(type='PatchDiscriminator', in_channels=3, base_channels=64, n_layers=3),
    rec_loss='l1',
    codebook_weight=1.0,
    disc_weight=0.75,
    gan_loss='hinge',
    disc_start=50_000,
)
train_dataloader = dict(
    batch_size=12,
    dataset=dict(pipeline=[
        dict(type='LoadImage', skip_corrupt=True),
        dict(type='RandomResizedCrop', scale=256, crop_ratio_range=(0.35, 1.0)),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]),
)
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=[
    dict(type='LoadImage'), dict(type='Resize', scale=(256, 256), keep_ratio=False), dict(type='PackInputs')]))
test_dataloader = val_dataloader
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    projector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=4.5e-6 * 96, betas=(0.5, 0.9))),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=4.5e-6 * 96, betas=(0.5, 0.9))),
)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=400_000)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400_000, val_interval=20_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
val_evaluator = [dict(type='ImageQualityMetric'), dict(type='CodebookUsageMetric', num_codes=16384)]
test_evaluator = val_evaluator
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=20_000, num_images=8),
]
default_hooks = dict(checkpoint=dict(interval=10_000), logger=dict(interval=100))
auto_scale_lr = dict(base_batch_size=96, enable=False)
