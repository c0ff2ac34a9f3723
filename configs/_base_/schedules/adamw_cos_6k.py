# Full Fashion-MNIST schedule on CPU: AdamW, 300-iteration warm-up, cosine decay, 6,000 iterations of batch 128.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=2e-3, betas=(0.9, 0.95), weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=300),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=300, end=6000, eta_min=1e-5),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=128, enable=False)
