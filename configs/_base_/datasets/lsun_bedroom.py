# LSUN bedroom (the LMDB the official LSUN tools export: data/lsun/bedroom_train_lmdb), 256x256 centre crops as
# LDM/MDT use; no labels (unconditional generation). Validation reads the first 10,000 training images (LSUN's
# bedroom validation split has only 300).
dataset_type = 'LSUN'
data_root = 'data/lsun/bedroom_train_lmdb'
train_pipeline = [
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='Resize', scale=(10000, 256), keep_ratio=True, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=256),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = train_pipeline[:3] + [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline, indices=10_000),
)
test_dataloader = val_dataloader
