# MAE's ViT-B fine-tuning recipe: 1024 images per optimiser step, AdamW with base lr 5e-4 per 256 images (2e-3),
# weight decay 0.05, layer-wise lr decay 0.65, 5 warm-up epochs, cosine to 1e-6 (times each layer's scale, as MAE)
# over 100 epochs. Resolved for the job's ranks at start (lmdkit.engine.recipe; train_dataloader.batch_size is the
# largest per-rank batch).
recipe = dict(batch_size=1024, base_lr=5e-4, base_batch_size=256, epochs=100)
optim_wrapper = dict(
    type='AutocastOptimWrapper',  # bf16 autocast on CUDA and CPU
    constructor='LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', fused=True, betas=(0.9, 0.999), weight_decay=0.05),  # lr: from the recipe
    paramwise_cfg=dict(layer_decay_rate=0.65),
)
param_scheduler = [  # in epochs, converted to iterations
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=5, eta_min_ratio=5e-4),  # min_lr 1e-6 x lr_scale
]
train_cfg = dict(type='IterBasedTrainLoop', val_interval=6_255)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
