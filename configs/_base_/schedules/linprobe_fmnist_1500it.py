# Linear probing on full Fashion-MNIST (CPU): SGD with momentum, no weight decay (MAE's probe), warm-up then
# cosine, 1,500 iterations of batch 128, validation every 250.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=150),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=150, end=1500, eta_min=0.0),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1500, val_interval=250)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=128, enable=False)
