# Linear probe of the latent-LMD encoder on full Fashion-MNIST (MAE's protocol): frozen encoder, normalised class
# token, BatchNorm without affine + linear head, SGD. Pretrain as in vitp_lmd-vqf4-pre_fmnist.py.
_base_ = [
    '../_base_/models/vitp_vqf4_cls.py',
    '../_base_/datasets/fmnist_cls.py',
    '../_base_/schedules/linprobe_fmnist_1500it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        final_norm=True,
        drop_path_rate=0.0,
        init_cfg=dict(
            type='PretrainedEncoder',
            checkpoint='work_dirs/lmd_vitp_vqf4-fmnist-cache_cos/iter_6000.pth',
            prefix='backbone.',
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
        train='configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py',
        minutes=22,
    )
)
