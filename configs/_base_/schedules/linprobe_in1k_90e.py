# MAE's linear-probe schedule: LARS (blr 0.1 x 16384 / 256 = 6.4 at batch 16384), no weight decay, 10 warm-up
# epochs, cosine over 90 epochs (78 iterations per epoch at batch 16384).
optim_wrapper = dict(type='AutocastOptimWrapper', optimizer=dict(type='Lars', lr=6.4, momentum=0.9, weight_decay=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=782),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=782, end=7_038, eta_min=0.0),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=7_038, val_interval=782)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=16384, enable=False)
