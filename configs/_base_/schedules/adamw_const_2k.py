# DiT-style optimisation for CPU runs: AdamW, no weight decay, 200-iteration warm-up then a constant lr,
# 2,000 iterations of batch 128 (dit_s2_fmnist: 1.27 s/iter on the 2-core CPU -> ~42 min, the budget);
# EMA weights (MMEngine's EMAHook) are what validation and sampling use.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=3e-4, betas=(0.9, 0.999), weight_decay=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=200, end=2000),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=128, enable=False)
