# LMD (pixel space) on the full Fashion-MNIST (apt-get install -y dataset-fashion-mnist), cosine schedule,
# batch 128, 6,000 iterations (about 13 epochs).
_base_ = [
    '../_base_/models/lmd_vitp_p4_32px.py',
    '../_base_/datasets/fmnist.py',
    '../_base_/schedules/adamw_cos_600it.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='TrainRecordHook'),
    dict(type='MaskScheduleHook'),
    dict(type='ReconstructionVisHook', interval=2000, num_images=10),
]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=300),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=300, end=6000, eta_min=1e-5),
]
train_cfg = dict(max_iters=6000, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))
auto_scale_lr = dict(base_batch_size=128)
