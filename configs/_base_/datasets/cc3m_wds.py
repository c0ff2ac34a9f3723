# Conceptual Captions (CC3M; CC12M alike) as img2dataset writes it: webdataset tar shards of NNNNNNNNN.jpg +
# .txt + .json (img2dataset --input_format tsv --output_format webdataset --output_folder data/cc3m ...), the
# validation split in its own folder. 256-px centre crops, flips; samples whose image or caption is missing,
# empty or not UTF-8, and the cut end of a truncated shard, are counted and skipped (logged once).
dataset_type = 'CaptionTarShards'
train_pipeline = [
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='Resize', scale=(10000, 256), keep_ratio=True, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=256),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=('caption', 'sample_idx')),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(10000, 256), keep_ratio=True, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=256),
    dict(type='PackInputs', meta_keys=('caption', 'sample_idx')),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=10,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root='data/cc3m/train', shards='*.tar', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root='data/cc3m/val', shards='*.tar', pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
