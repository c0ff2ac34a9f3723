# ViT-B/16 classifier for ImageNet-1k with MAE's fine-tuning recipe (facebookresearch/mae FINETUNE.md and the MAE
# paper's Table 9; docs/classification.md): global pool + fc_norm, drop path
# 0.1, mixup 0.8 / cutmix 1.0 with label smoothing 0.1 (timm's Mixup makes the soft targets), random erasing 0.25.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        num_classes=1000,
        mixup=dict(mixup_alpha=0.8, cutmix_alpha=1.0, prob=1.0, switch_prob=0.5, mode='batch', label_smoothing=0.1),
        random_erasing=dict(probability=0.25, mode='pixel', max_count=1),
    ),
    projector=dict(type='IdentityProjector', in_channels=3),
    backbone=dict(
        type='MAEViT', arch='b', img_size=224, patch_size=16, in_channels=3, final_norm=False, drop_path_rate=0.1
    ),  # fmt: skip
    global_pool='avg',
    head=dict(type='LinearClsHead', num_classes=1000, init_std=2e-5),
    loss=dict(type='CrossEntropyLoss'),
)
