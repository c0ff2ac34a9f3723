# The Fashion-MNIST subset embedded in lmdkit (2,000 train / 500 test), resized 28 -> 32 px, 1 channel.
dataset_type = 'EmbeddedFashionMNIST'
train_pipeline = [
    dict(type='Resize', scale=(32, 32), keep_ratio=False, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='Resize', scale=(32, 32), keep_ratio=False, interpolation='bicubic'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=250,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='MaskedReconstructionMetric')
test_evaluator = val_evaluator
