# The feature network of FID-FMNIST and of the class consistency of conditional samples: a 6-conv VGG-style CNN
# (32-64-128 channels, 0.29 M parameters) trained on full Fashion-MNIST at 32 px (28 -> 32, flips), AdamW with
# a cosine schedule over 2,000 iterations of batch 128 (4.3 epochs). Train it once:
#   python tools/train.py configs/evaluation/convnet_fmnist.py --work-dir work_dirs/convnet_fmnist
# then use it as feature_extractor=dict(type='ClassifierFeatures', config=<this file>,
# checkpoint='work_dirs/convnet_fmnist/iter_2000.pth'). Its FIDs are not comparable with Inception FIDs.
_base_ = [
    '../_base_/datasets/fmnist_cls.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5], num_classes=10),
    projector=dict(type='IdentityProjector', in_channels=1),
    backbone=dict(type='ConvNet', in_channels=1, widths=(32, 64, 128), input_size=32, dropout=0.2),
    global_pool='none',
    head=dict(type='LinearClsHead', num_classes=10),
    loss=dict(type='CrossEntropyLoss', label_smoothing=0.1),
)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=2e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=2000, eta_min=1e-5),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))
