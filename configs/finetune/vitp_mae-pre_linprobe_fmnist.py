# Linear probe of the pixel-MAE encoder on full Fashion-MNIST (MAE's protocol). Pretrain with
# configs/mae/mae_vitp_fmnist.py.
_base_ = [
    '../_base_/models/vitp_p4_cls.py',
    '../_base_/datasets/fmnist_cls.py',
    '../_base_/schedules/linprobe_fmnist_1500it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        final_norm=True,
        drop_path_rate=0.0,
        init_cfg=dict(
            type='PretrainedEncoder', checkpoint='work_dirs/mae_vitp_fmnist/iter_6000.pth', prefix='backbone.'
        ),
    ),
    global_pool='token',
    freeze_backbone=True,
    head=dict(batch_norm=True, init_std=0.01),
    loss=dict(label_smoothing=0.0),
)
default_hooks = dict(checkpoint=dict(interval=500), logger=dict(interval=50))
prerequisites = dict(
    pretrained=dict(
        key='model.backbone.init_cfg.checkpoint',
        train='configs/mae/mae_vitp_fmnist.py',
        minutes=16,
    )
)
