# Captioned Fashion-MNIST (the text-to-image analogue of LMD's Table 4): 32-px PNGs with captions.jsonl, e.g.
# "a light large patterned pullover" — the class and three attributes measured on each image. Made by
#   python tools/data/make_fmnist_captions.py data/fmnist_captions --fmnist-root /usr/share/datasets/fashion-mnist
# (tools/prepare.py runs it; without --fmnist-root it captions the embedded 2,000 / 500 subset). Flips keep every
# attribute (brightness, size, texture are mirror-symmetric).
dataset_type = 'CaptionFolder'
data_root = 'data/fmnist_captions'
train_pipeline = [
    dict(type='LoadImage', color_type='grayscale'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=('caption', 'sample_idx')),
]
test_pipeline = [dict(type='LoadImage', color_type='grayscale'), dict(type='PackInputs', meta_keys=('caption', 'sample_idx'))]
train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root + '/train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=250,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root + '/test', pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='DiffusionLossMetric')
test_evaluator = val_evaluator
prerequisites = dict(
    captions=dict(key='train_dataloader.dataset.data_root', file='captions.jsonl',
                  command='python tools/data/make_fmnist_captions.py data/fmnist_captions '
                          '--fmnist-root /usr/share/datasets/fashion-mnist', minutes=1),
)  # fmt: skip
