# MAE's ViT-B fine-tuning schedule: AdamW (blr 5e-4 x 1024 / 256 = 2e-3 at batch 1024), weight decay 0.05,
# layer-wise lr decay 0.65, 5 warm-up epochs, cosine to 1e-6 (times each layer's scale, as MAE) over 100 epochs
# (1,251 iterations per epoch).
optim_wrapper = dict(
    type='AutocastOptimWrapper',  # bf16 autocast on CUDA and CPU
    constructor='LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.65),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=6_255),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=6_255, end=125_100, eta_min_ratio=5e-4),  # min_lr 1e-6 x lr_scale
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=125_100, val_interval=6_255)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=1024, enable=False)
