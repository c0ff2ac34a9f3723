# MAE's linear-probe recipe: 16384 images per optimiser step, LARS with base lr 0.1 per 256 images (6.4), no weight
# decay, 10 warm-up epochs, cosine over 90 epochs. Resolved for the job's ranks at start (lmdkit.engine.recipe).
recipe = dict(batch_size=16384, base_lr=0.1, base_batch_size=256, epochs=90)
optim_wrapper = dict(type='AutocastOptimWrapper', optimizer=dict(type='Lars', momentum=0.9, weight_decay=0.0))
param_scheduler = [  # in epochs, converted to iterations
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=10, eta_min=0.0),
]
train_cfg = dict(type='IterBasedTrainLoop', val_interval=782)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
