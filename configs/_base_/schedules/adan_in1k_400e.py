# LMD pretraining on ImageNet-1k: Adan, base lr 1.5e-4 x batch/256, wd 0.05 (paper text). The authors'
# script uses base lr 3e-4, betas (0.98, 0.92, 0.90) and grad clip 10.
# 8 GPUs x 256 = 2048 images per step: 625 iterations per epoch; 400 epochs, 40 warm-up epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adan', lr=1.5e-4 * 2048 / 256, betas=(0.98, 0.92, 0.99), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, custom_keys={'pos_embed': dict(decay_mult=0.0),
                                                                              'cls_token': dict(decay_mult=0.0),
                                                                              'mask_token': dict(decay_mult=0.0)}),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=25_000),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=25_000, end=250_000, eta_min=0.0),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=250_000, val_interval=25_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=2048, enable=False)
