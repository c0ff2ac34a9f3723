# Fine-tuning on full Fashion-MNIST (CPU): AdamW with layer-wise lr decay, 150-iteration warm-up, cosine decay,
# 1,500 iterations of batch 128 (3.2 epochs); validation every 250 iterations gives the MAT curve.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', fused=True, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.75),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=150),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=150, end=1500, eta_min_ratio=1e-3),  # per layer, as MAE
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1500, val_interval=250)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=128, enable=False)
