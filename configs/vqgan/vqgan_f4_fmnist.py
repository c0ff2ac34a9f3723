# The Fashion-MNIST latent space: an f4 VQGAN (32 px -> 8x8x4, 512 codes) trained on the full Fashion-MNIST
# on 2 CPU cores in under 20 minutes. Every Fashion-MNIST latent-space experiment uses its checkpoint:
#   python tools/train.py configs/vqgan/vqgan_f4_fmnist.py --work-dir work_dirs/vqgan_f4_fmnist
_base_ = ['../_base_/models/vqgan_f4_32px.py', '../_base_/datasets/fmnist.py', '../_base_/default_runtime.py']
model = dict(
    disc_start=3000,  # adversarial term for the last part of training only (PSNR matters most here)
    # from scratch; re-seed unused codes from encoder outputs every 50 steps (without it the codebook collapses)
    projector=dict(checkpoint=None, restart_every=50),
)
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    projector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.9))),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.9))),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=4000, eta_min=1e-5),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
val_evaluator = [dict(type='ImageQualityMetric'), dict(type='CodebookUsageMetric', num_codes=512)]
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=1000, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=500), logger=dict(interval=50))
auto_scale_lr = dict(base_batch_size=32, enable=False)
