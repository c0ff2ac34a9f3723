# MAE's ViT-B/16 linear probe on ImageNet-1k (90 epochs, LARS, batch 16384): frozen encoder, normalised class
# token, BatchNorm without affine + linear head; RandomResizedCrop (0.08-1) + flip only, no mixup; evaluation as
# in fine-tuning (shorter side 256, centre crop 224).
_base_ = [
    '../_base_/models/vitb_cls_in1k.py',
    '../_base_/datasets/in1k_cls.py',
    '../_base_/schedules/linprobe_in1k_90e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(mixup=None, random_erasing=None),
    backbone=dict(
        final_norm=True,
        drop_path_rate=0.0,
        init_cfg=dict(type='PretrainedEncoder', checkpoint='checkpoints/mae_pretrain_vit_base.pth', prefix='backbone.'),
    ),
    global_pool='token',
    freeze_backbone=True,
    head=dict(batch_norm=True, init_std=0.01),
)
train_pipeline = [
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=2048, dataset=dict(pipeline=train_pipeline))
default_hooks = dict(checkpoint=dict(interval=782), logger=dict(interval=20))
prerequisites = dict(
    pretrained=dict(
        key='model.backbone.init_cfg.checkpoint',
        manual=(
            'Put the MAE release mae_pretrain_vit_base.pth (or an lmdkit MAE checkpoint; HF facebook/vit-mae-base'
            ' via tools/convert/mae_to_lmdkit.py) at checkpoints/mae_pretrain_vit_base.pth'
        ),
    )
)
