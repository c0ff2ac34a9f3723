# Short CPU schedule: AdamW, 50-iteration linear warm-up, cosine decay, 600 iterations.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=1.5e-3, betas=(0.9, 0.95), weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600, eta_min=1e-5),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=600, val_interval=600)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# lr above is for this batch size; --auto-scale-lr rescales it linearly to the real total batch.
auto_scale_lr = dict(base_batch_size=64, enable=False)
