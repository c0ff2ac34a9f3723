# ImageNet-1k for fine-tuning (MAE's timm-based pipeline): RandomResizedCrop 224 (scale 0.08-1), flip,
# RandAugment rand-m9-mstd0.5-inc1; evaluation resizes the shorter side to 256 and centre-crops 224.
_base_ = ['./in1k.py']
train_pipeline = [
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policy='rand-m9-mstd0.5-inc1'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    # keep_ratio with (long, short) = (10000, 256): the shorter side becomes 256
    dict(type='Resize', scale=(10000, 256), keep_ratio=True, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
