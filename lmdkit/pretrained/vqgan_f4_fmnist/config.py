auto_scale_lr = dict(base_batch_size=32, enable=False)
compile = False
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='TrainRecordHook'),
    dict(interval=1000, num_images=10, type='ReconstructionVisHook'),
]
data_root = '/usr/share/datasets/fashion-mnist'
dataset_type = 'FashionMNIST'
default_hooks = dict(
    checkpoint=dict(
        backend_args=dict(backend='atomic_local'),
        by_epoch=False,
        interval=500,
        max_keep_ckpts=3,
        type='CheckpointHook'),
    logger=dict(interval=50, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    runtime_info=dict(type='RuntimeInfoHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'))
default_scope = 'lmdkit'
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
interrupt_checkpoint = dict(sync_interval=10)
log_level = 'INFO'
log_processor = dict(by_epoch=False, window_size=10)
model = dict(
    codebook_weight=1.0,
    data_preprocessor=dict(
        mean=[
            127.5,
        ], std=[
            127.5,
        ], type='ImgDataPreprocessor'),
    disc_start=3000,
    disc_weight=0.1,
    discriminator=dict(
        base_channels=32, in_channels=1, n_layers=2,
        type='PatchDiscriminator'),
    gan_loss='hinge',
    projector=dict(
        attn_resolutions=(),
        beta=0.25,
        ch=32,
        ch_mult=(
            1,
            2,
            2,
        ),
        checkpoint=None,
        embed_dim=4,
        in_channels=1,
        num_codes=512,
        num_res_blocks=1,
        resolution=32,
        restart_every=50,
        type='VQGANProjector',
        z_channels=32),
    rec_loss='l1',
    type='Autoencoder')
model_wrapper_cfg = dict(
    broadcast_buffers=False,
    find_unused_parameters=False,
    type='lmdkit.CPUSafeDistributedDataParallel')
nonfinite_guard = dict(max_consecutive=5)
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    discriminator=dict(
        optimizer=dict(betas=(
            0.5,
            0.9,
        ), lr=0.001, type='Adam'),
        type='OptimWrapper'),
    projector=dict(
        optimizer=dict(betas=(
            0.5,
            0.9,
        ), lr=0.001, type='Adam'),
        type='OptimWrapper'))
param_scheduler = [
    dict(begin=0, by_epoch=False, end=100, start_factor=0.01, type='LinearLR'),
    dict(
        begin=100,
        by_epoch=False,
        end=4000,
        eta_min=1e-05,
        type='CosineAnnealingLR'),
]
randomness = dict(deterministic=False, diff_rank_seed=True, seed=0)
resume = False
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='/usr/share/datasets/fashion-mnist',
        pipeline=[
            dict(
                interpolation='bicubic',
                keep_ratio=False,
                scale=(
                    32,
                    32,
                ),
                type='Resize'),
            dict(type='PackInputs'),
        ],
        split='test',
        type='FashionMNIST'),
    num_workers=0,
    sampler=dict(shuffle=False, type='DefaultSampler'))
test_evaluator = [
    dict(type='ImageQualityMetric'),
    dict(num_codes=512, type='CodebookUsageMetric'),
]
test_pipeline = [
    dict(
        interpolation='bicubic',
        keep_ratio=False,
        scale=(
            32,
            32,
        ),
        type='Resize'),
    dict(type='PackInputs'),
]
train_cfg = dict(max_iters=4000, type='IterBasedTrainLoop', val_interval=1000)
train_dataloader = dict(
    batch_size=32,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='/usr/share/datasets/fashion-mnist',
        pipeline=[
            dict(
                interpolation='bicubic',
                keep_ratio=False,
                scale=(
                    32,
                    32,
                ),
                type='Resize'),
            dict(direction='horizontal', prob=0.5, type='RandomFlip'),
            dict(type='PackInputs'),
        ],
        split='train',
        type='FashionMNIST'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=True, type='InfiniteSampler'))
train_pipeline = [
    dict(
        interpolation='bicubic',
        keep_ratio=False,
        scale=(
            32,
            32,
        ),
        type='Resize'),
    dict(direction='horizontal', prob=0.5, type='RandomFlip'),
    dict(type='PackInputs'),
]
val_cfg = dict(type='ValLoop')
val_dataloader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='/usr/share/datasets/fashion-mnist',
        pipeline=[
            dict(
                interpolation='bicubic',
                keep_ratio=False,
                scale=(
                    32,
                    32,
                ),
                type='Resize'),
            dict(type='PackInputs'),
        ],
        split='test',
        type='FashionMNIST'),
    num_workers=0,
    sampler=dict(shuffle=False, type='DefaultSampler'))
val_evaluator = [
    dict(type='ImageQualityMetric'),
    dict(num_codes=512, type='CodebookUsageMetric'),
]
vis_backends = [
    dict(type='LocalVisBackend'),
]
visualizer = dict(
    type='Visualizer', vis_backends=[
        dict(type='LocalVisBackend'),
    ])
vqgan_f4_32px = dict(
    attn_resolutions=(),
    beta=0.25,
    ch=32,
    ch_mult=(
        1,
        2,
        2,
    ),
    checkpoint='lmdkit://pretrained/vqgan_f4_fmnist',
    embed_dim=4,
    in_channels=1,
    num_codes=512,
    num_res_blocks=1,
    resolution=32,
    type='VQGANProjector',
    z_channels=32)
