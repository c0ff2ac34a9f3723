# ImageNet-1k in the class-folder layout: data/imagenet/{train,val}/<wnid>/*.JPEG
# (or pass ann_file='meta/val.txt' with "relative/path label" lines). Truncated, CMYK, grayscale and PNG-named files
# decode or are skipped and logged (skip_corrupt). To rehearse on an offline stand-in:
#   python tools/data/make_imagenet_rehearsal.py data/imagenet_rehearsal   (docs/scaling.md)
dataset_type = 'ImageNet'
data_root = 'data/imagenet'
train_pipeline = [
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False, interpolation='bicubic'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=10,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=10,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='MaskedReconstructionMetric')
test_evaluator = val_evaluator
