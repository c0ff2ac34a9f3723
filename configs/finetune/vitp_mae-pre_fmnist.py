# Fine-tune the encoder of pixel MAE (fixed mask ratio 0.75) on full Fashion-MNIST. Pretrain first:
#   python tools/train.py configs/mae/mae_vitp_fmnist.py
_base_ = [
    '../_base_/models/vitp_p4_cls.py',
    '../_base_/datasets/fmnist_cls.py',
    '../_base_/schedules/finetune_fmnist_1500it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='PretrainedEncoder', checkpoint='work_dirs/mae_vitp_fmnist/iter_6000.pth', prefix='backbone.'
        )
    )
)
default_hooks = dict(checkpoint=dict(interval=500), logger=dict(interval=50))
prerequisites = dict(
    pretrained=dict(
        key='model.backbone.init_cfg.checkpoint',
        train='configs/mae/mae_vitp_fmnist.py',
        minutes=16,
    )
)
