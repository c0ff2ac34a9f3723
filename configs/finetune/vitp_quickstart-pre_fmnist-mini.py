# Fine-tune the quick-start LMD encoder (bash tools/quickstart.sh work_dirs/quickstart) on the embedded
# Fashion-MNIST subset: 300 iterations, about a minute on 2 CPU cores. Used by the end-to-end tests.
_base_ = [
    '../_base_/models/vitp_p4_cls.py',
    '../_base_/datasets/fmnist_mini_cls.py',
    '../_base_/schedules/finetune_fmnist_1500it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(type='PretrainedEncoder', checkpoint='work_dirs/quickstart/iter_600.pth', prefix='backbone.')
    )
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=300, eta_min_ratio=1e-3),
]
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=300), logger=dict(interval=50))
prerequisites = dict(
    pretrained=dict(
        key='model.backbone.init_cfg.checkpoint',
        train='configs/lmd/lmd_vitp_fmnist-mini_cos.py',
        minutes=1.2,
    )
)
