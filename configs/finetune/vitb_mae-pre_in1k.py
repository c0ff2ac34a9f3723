# MAE's ViT-B/16 ImageNet-1k fine-tuning (100 epochs, batch 1024 = 8 GPUs x 128) from an official MAE release
# checkpoint (facebookresearch format, loaded as it is) or an lmdkit MAE pretraining:
#   tools/dist_train.sh configs/finetune/vitb_mae-pre_in1k.py 8
_base_ = [
    '../_base_/models/vitb_cls_in1k.py',
    '../_base_/datasets/in1k_cls.py',
    '../_base_/schedules/finetune_in1k_100e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(type='PretrainedEncoder', checkpoint='checkpoints/mae_pretrain_vit_base.pth', prefix='backbone.')
    )
)
default_hooks = dict(checkpoint=dict(interval=6_255), logger=dict(interval=100))
prerequisites = dict(
    pretrained=dict(
        key='model.backbone.init_cfg.checkpoint',
        manual=(
            'Put the MAE release mae_pretrain_vit_base.pth (or an lmdkit MAE checkpoint; HF facebook/vit-mae-base'
            ' via tools/convert/mae_to_lmdkit.py) at checkpoints/mae_pretrain_vit_base.pth'
        ),
    )
)
